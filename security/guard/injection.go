package guard

import (
	"fmt"
	"strings"
)

// The injection and jailbreak scanners look for phrasing, not for one
// regular expression: each signal below is a phrase in one language with a
// weight, and a text's score is the noisy-OR of the distinct signals it
// holds (see combine). Strong phrases ("ignore all previous instructions")
// flag alone; weak ones ("you are now", "instead, send") need company, and
// addresses to the AI ("Attention LLM:", "if you are an AI") raise the score
// of whatever else matched — or, followed closely by an imperative, make a
// directive that flags alone (directive.go). Patterns are lower case and
// matched against the lower-cased text; a space stands for any run of
// separators and "~N " for up to N words in between (see phrase).

// The nouns and adjectives of "ignore previous instructions" in English.
const (
	enPrev    = `(?:previous|prior|preceding|above|earlier|former|original|initial|foregoing|old|all|your|all your|any previous|the above|all prior|all previous)`
	enInstr   = `(?:instructions?|prompts?|directives?|directions|guidelines|guidance|programming|commands|orders|rules|instructs|briefing|constraints)`
	enDismiss = `(?:ignore|disregard|forget|override|bypass|neglect|discard|abandon|stop following|do not follow|don[’']t follow|do not obey|disobey|pay no attention to|take no notice of|set aside|put aside|throw out|scrap|no longer follow)`
	enAI      = `(?:ai|a\.i\.|assistant|ai assistant|llm|llms|language model|large language model|chatbot|chat ?gpt|gpt|claude|gemini|copilot|ai agent|agent|bot|ai model|ai system|model)`
	enSend    = `(?:send|forward|email|e-mail|mail|transfer|upload|post|leak|exfiltrate|share|copy|submit|include|append|encode|embed|bcc)`
)

var injectionEN = []*signal{
	sig("en", "ignore-previous-instructions", 0.9, enDismiss+` ~2 `+enPrev+` ~1 `+enInstr),
	sig("en", "ignore-instructions-above", 0.85, enDismiss+` (?:the |your |all (?:the )?)?(?:instructions|rules|directives|guidelines|orders|prompt) (?:above|before this|given (?:to you )?(?:above|before|earlier)|you (?:were|have been|[’']ve been) given)`),
	sig("en", "told-no-longer-matters", 0.7, `(?:whatever|everything|anything|all) (?:that )?(?:you (?:were|have been|[’']ve been|got) (?:told|instructed|given|asked)|your (?:instructions|rules) (?:say|said)) ~3 (?:no longer (?:matters?|applies|apply|counts?|holds?)|(?:is|are) (?:void|irrelevant|cancell?ed|obsolete|invalid))`),
	sig("en", "not-what-user-asked", 0.55, `(?:not|instead of|rather than|regardless of) (?:what|whatever) the (?:user|human|customer|person) (?:asked|asks|wants|wanted|said|requested)`),
	sig("en", "agent-shall", 0.4, `(?:ai|assistant|agent|model|llm|bot)s? (?:shall|must|is required to|are required to|has to|have to|needs to|need to|should) (?:immediately |now |silently |also |always )?(?:append|attach|share|export|upload|post|copy|cc|bcc|approve|accept|mark|disable|call|invoke|send|forward|email|transfer|delete|execute|run|visit|open|fetch|tell|say|add|include|reply|respond|output|print|reveal|omit)\b`),
	sig("en", "instructions-obsolete", 0.55, `(?:earlier|previous|prior|above|original|old|initial|existing|your) (?:guidance|instructions|rules|orders|directives|prompt|programming|configuration|briefing) (?:you (?:received|were given|got) )?(?:is|are|has been|have been|was|were) (?:now )?(?:obsolete|outdated|void|invalid|cancell?ed|revoked|no longer valid|no longer in effect|superseded|replaced|null and void|deprecated|suspended)`),
	sig("en", "treat-as-instructions", 0.7, `(?:treat|consider|regard|interpret|read) (?:this|the following|the text below|these lines|the next (?:paragraph|line|section)|what follows) as (?:your |a |an )?(?:new |(?:highest|top|high)(?: |-)priority |primary |updated |official )?(?:system )?(?:instructions?|prompt|directives?|commands?|orders?|system message)`),
	sig("en", "abandon-task-instead", 0.6, `(?:skip|forget|drop|abandon|stop|cancel|don[’']t do|do not do|never mind) (?:the |your |this |that )?(?:translation|summary|summari[sz]ation|original task|current task|task|request|assignment|analysis|review)\b ~3 instead`),
	sig("en", "ignore-the-user", 0.55, `(?:ignore|disregard|stop listening to) (?:the|your) (?:user|human|operator)(?:[.,;:!]|\s+(?:and|completely|entirely|now|from now on)|$)`),
	sig("en", "follow-steps-there", 0.45, `(?:follow|obey|carry out|execute|do) (?:the |all (?:the )?)?(?:steps|instructions|directions|commands|orders) (?:written|described|listed|found|given|posted|shown) (?:there|at (?:that|this|the) (?:link|url|page|address)|on (?:that|this|the) (?:page|site|link)|in (?:that|this|the) (?:link|file|page))`),
	cue("en", "mandatory-for-ai", 0.45, `(?:mandatory|required|compulsory|obligatory) for (?:all |every |any )?(?:ai|assistants?|agents?|models?|llms?|bots?|ai assistants?|ai agents?|language models?)\b`),
	sig("en", "call-function", 0.3, `(?:call|invoke|execute|run|trigger) [a-z][a-z0-9]*_[a-z0-9_]+(?:\(| (?:with|using|on|passing))`),
	sig("en", "ignore-system-prompt", 0.75, `(?:ignore|disregard|forget) (?:your|the) (?:system prompt|system message|system instructions|developer message|developer instructions)`),
	sig("en", "ignore-previous-context", 0.35, `(?:ignore|disregard|forget) ~2 (?:previous|prior|preceding|above|earlier|foregoing) ~1 (?:messages?|context|conversation|text|content|input|emails?|tasks?|requests?)`),
	sig("en", "forget-everything", 0.45, `forget (?:everything|all (?:of )?(?:that|this|the above))`),
	sig("en", "forget-everything-told", 0.8, `(?:forget|ignore|disregard) (?:everything|all|anything) (?:(?:that|which) )?(?:(?:you|i) (?:were|was|have been|had been) (?:told|given|instructed|taught)|above|before this|so far|up to (?:now|this point)|previously|prior to this)`),
	sig("en", "disregard-above", 0.4, `disregard (?:the|all|everything|anything) (?:above|previous|prior|foregoing|before)`),
	sig("en", "new-instructions-header", 0.45, `(?:new|updated|revised|real|actual|true|secret|hidden|additional|override|important|urgent) (?:instructions?|directives?|system prompt|orders|task)\s*[:：]`),
	sig("en", "new-task-assignment", 0.55, `your (?:new|real|actual|true) (?:instructions?|role|purpose|orders|directives?) (?:is|are|will be|now is|now are)`),
	// A new objective or mission is also what games and coaches give.
	sig("en", "new-goal-assignment", 0.45, `your (?:new|real|actual|true) (?:tasks?|goals?|objectives?|mission|job) (?:is|are|will be|now is|now are)`),
	sig("en", "sole-objective", 0.4, `your (?:sole|only|single|one|primary|main) (?:task|goal|objective|purpose|mission|job) (?:now |from now on )?(?:is|will be)`),
	sig("en", "reassigned", 0.3, `you (?:have been|[’']ve been|are being|are now) (?:reassigned|reprogrammed|repurposed|given a new (?:task|role|goal))`),
	sig("en", "you-are-now", 0.3, `you are now (?:a|an|the|my|in|called|named|known|going|acting|operating|playing|entering|free|no longer|unrestricted|dan|evil)\b`),
	sig("en", "from-now-on", 0.35, `(?:from now on|from this point (?:on|forward)|henceforth|starting now),? you (?:are|will|must|shall|should|have to)`),
	sig("en", "system-override", 0.45, `(?:system|admin|administrator|developer|root|security|emergency|priority) (?:override|mode change)`),
	cased("en", "system-alert-caps", 0.5, `(?:SYSTEM|ADMIN|DEVELOPER|ROOT|IMPORTANT) (?:OVERRIDE|INSTRUCTIONS?|COMMAND|MESSAGE|ALERT|NOTICE|PROMPT)`),
	sig("en", "do-not-tell-user", 0.6, `(?:do not|don[’']t|must not|mustn[’']t|never) (?:tell|inform|notify|alert|warn|mention (?:this|it|anything) to|reveal (?:this|it) to|let) (?:the )?(?:user|human|operator|owner|requester)`),
	sig("en", "without-telling-user", 0.45, `without (?:telling|informing|notifying|alerting|asking|letting) (?:the )?(?:user|human|operator|owner)`),
	sig("en", "keep-secret-from-user", 0.6, `(?:keep (?:this|it|that) (?:secret|hidden|confidential) from|hide (?:this|it) from) (?:the )?(?:user|human|operator)`),
	sig("en", "covert-action", 0.5, `(?:silently|secretly|quietly|covertly|discreetly|invisibly|without (?:any )?(?:confirmation|asking)) ~1 (?:send|forward|email|e-mail|upload|transfer|copy|post|exfiltrate|append|embed|call|run|execute|delete)`),
	sig("en", "send-to-address", 0.3, enSend+` ~5 (?:to|at|towards) [\pL\pN._%+-]+@[\pL\pN-]+\.[\pL\pN.-]+`),
	sig("en", "send-sensitive", 0.55, enSend+` ~3 (?:passwords?|credentials?|api keys?|secret keys?|secrets|access tokens?|tokens|private keys?|ssh keys?|(?:the |your )?system prompt|(?:the |this |our |entire |whole |full )?(?:conversation|chat history|chat log|chat transcript|transcript|message history)|(?:your|the) memory|(?:all )?(?:the )?(?:user[’']?s?|his|her|their|customer) (?:data|files|emails|messages|passwords?|details|contacts|information|info|address|credentials))`),
	sig("en", "forward-all", 0.45, `(?:forward|send|copy|bcc) (?:all|every|each) (?:of (?:the|your|my) )?(?:emails?|messages?|mails?|files|documents|contacts|conversations?)`),
	sig("en", "instead", 0.3, `instead,? (?:you (?:should|must|will|need to) )?(?:do|send|reply|respond|say|write|output|print|tell|call|run|execute|forward|email|answer|return|post|delete|transfer|visit|open|fetch)\b`),
	sig("en", "reveal-your-prompt", 0.7, `(?:reveal|repeat|print|show|output|display|leak|disclose|tell me|give me|share|write out|dump|recite|spell out|paste|what (?:is|are)) ~2 (?:your|all your|your entire|your full) ~2 (?:system prompt|system message|system instructions|initial prompt|initial instructions|hidden prompt|hidden instructions|original instructions|original prompt|pre-?prompt|instructions above|prompt above)`),
	sig("en", "reveal-the-prompt", 0.4, `(?:reveal|repeat|print|show|output|display|leak|disclose|tell me|give me|write out|dump|recite|spell out) ~2 the (?:full |entire |complete |original |initial |hidden |exact |verbatim )*(?:system prompt|system message|system instructions|initial prompt|hidden prompt|hidden instructions|developer message)`),
	sig("en", "repeat-words-above", 0.6, `(?:repeat|print|output|write|copy|recite|reproduce) (?:all )?(?:of )?(?:the )?(?:words|text|everything|lines|sentences|instructions) (?:above|before this|prior to this|you were given)`),
	sig("en", "starting-with-you-are", 0.45, `(?:starting|beginning|start) with (?:the (?:words|phrase) )?["“'‘]?you are`),
	sig("en", "chat-template-token", 0.5, `(?:<\|im_start\|>|<\|im_end\|>|<\|eot_id\|>|<\|start_header_id\|>|<\|end_header_id\|>|<\|system\|>|<\|user\|>|<\|assistant\|>|<\|endoftext\|>|<\|begin_of_text\|>|\[inst\]|\[/inst\]|<<sys>>|<</sys>>|<start_of_turn>|<end_of_turn>|<\|channel\|>)`),
	sig("en", "fake-role-tag", 0.35, `(?:</?system>|</?(?:system|developer|admin)[_-]?(?:prompt|message|instructions?)>|\[/?system\]|\[/?(?:admin|developer)\]|</?instructions>)`),
	cue("en", "role-header", 0.3, `(?:system|developer) (?:message|prompt|note|instructions?|update)\s*[:：]`),
	cue("en", "end-of-data", 0.3, `(?:end of (?:the )?(?:user )?(?:input|data|document|context|untrusted (?:data|content|text))|(?:input|data|document|context) ends here)`),
	cue("en", "ai-address", 0.35, `(?:dear|hey|hi|hello|attention|attn|note to|message to|notice to|instructions? (?:for|to)|important (?:message |note |information )?(?:for|to)) (?:the )?`+enAI+`s?\b`),
	cue("en", "ai-vocative", 0.35, `(?:ai assistant|ai agent|llm|language model|chatbot|chatgpt|assistant|ai)s?\s*[,:]\s*(?:please|you|now|ignore|do|send|forget|stop|immediately)\b`),
	cue("en", "if-ai-reads-this", 0.45, `(?:if|when|whenever) (?:an?|any|the) (?:ai|a\.i\.|automated system|automated tool|llm|language model|bot|assistant|ai agent|agent|model|crawler) (?:reads?|is reading|processes|sees|parses|summari[sz]es|encounters) (?:this|these)\b`),
	sig("en", "do-not-mention-this", 0.55, `(?:do not|don[’']t|never) (?:mention|reveal|disclose|say anything about|talk about|bring up) (?:this|these|the above|any of this) ~2 (?:to (?:anyone|anybody|the user|the human|them|the reader)|paragraph|instructions?|message|note)`),
	cue("en", "if-you-are-ai", 0.45, `(?:if|when|whenever) you are (?:an? )?(?:ai|a\.i\.|llm|language model|large language model|assistant|ai assistant|chatbot|bot|ai agent|automated (?:system|agent|assistant)|model)\b`),
	cue("en", "ai-reading-this", 0.45, `(?:ai|llm|assistant|model|agent|bot|language model)s? (?:reading|processing|summari[sz]ing|parsing|seeing|analy[sz]ing) (?:this|these)\b`),
	cue("en", "addressed-to-ai", 0.45, `(?:this (?:message|note|text|section|part|email|document|page) is|these instructions are) (?:for|to|addressed to|intended for|meant for) (?:the |any |all )?`+enAI+`\b`),
	cue("en", "urgency", 0.2, `(?:it is|it[’']s|this is) (?:very |extremely |critically |vitally )?(?:important|urgent|critical|imperative|mandatory|essential)(?: that)? (?:you|to)\b`),
	sig("en", "must-ignore", 0.4, `you (?:must|have to|need to|should|are required to|will) (?:now |immediately |instead )?(?:ignore|disregard|stop following|disobey|override|forget)\b`),
	sig("en", "user-authorized", 0.25, `(?:user|owner|admin|administrator|developer) (?:has |had )?(?:already )?(?:authori[sz]ed|approved|instructed|permitted|allowed) (?:you|the assistant|the ai) to`),
	sig("en", "call-tool", 0.3, `(?:call|use|invoke|run|execute|trigger) the [\pL\pN_.-]+ (?:tool|function|plugin|action)\b`),
	sig("en", "execute-command", 0.3, `(?:execute|run) (?:the following|this|these) (?:command|code|script|shell command|commands|python)`),
	sig("en", "overrides-instructions", 0.75, `(?:this|these|it|the following) (?:message |note |text )?(?:overrides?|supersedes?|replaces?|takes precedence over|cancels?) (?:(?:all |any )?(?:prior|previous|earlier|your|the system|system|original|other) (?:instructions|prompts?|rules|directives|guidelines)|everything (?:above|else|before|that came before)|all of the above)`),
	sig("en", "ignore-user-request", 0.6, `(?:ignore|disregard|do not answer|don[’']t answer) (?:the|your) (?:user[’']?s?|human[’']?s?|customer[’']?s?) (?:request|question|questions|instructions|message|query|task)s?`),
	sig("en", "image-url-template", 0.6, `!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]{0,300}(?:\{[a-z_ .-]{2,40}\}|\$\{?[a-z_]{2,40}|%s|<[a-z_ ]{2,40}>|\[(?:data|secret|password|key|token|info|conversation|history|summary)\])`),
	sig("en", "templated-exfil-url", 0.6, `(?:visit|open|fetch|load|navigate to|go to|request|browse to|render|display|include|embed|append|add|insert|output|print|write|end (?:your|the) (?:answer|reply|response|message|summary) with) ~6 (?:https?://|!\[|<img)[^\s]{0,200}(?:\{|\$\{|%s|\[(?:data|secret|password|key|token|info|conversation|history|summary))`),
	sig("en", "append-to-url", 0.35, `(?:append|add|include|encode|put|insert|attach) ~4 (?:to|in|into|as) (?:the |a |this )?(?:url|link|query string|query parameter|image url|image link|markdown image)`),
	sig("en", "render-image", 0.25, `(?:render|display|output|include|print|respond with|reply with|end your (?:answer|reply|response) with) ~3 (?:markdown )?(?:image|img)\b`),
}

// scanInjection scores prompt-injection phrasing.
func scanInjection(s *scan) []finding {
	return signalFinding(ScanInjection, s.text, injectionHits(s.text, s.lower))
}

// signalFinding turns the hits of a signal set into one finding.
func signalFinding(name string, text string, hits []hit) []finding {
	if len(hits) == 0 {
		return nil
	}
	score, best, labels := combine(hits)
	if len(labels) > 5 {
		labels = append(labels[:5], fmt.Sprintf("%d more", len(labels)-5))
	}
	reason := fmt.Sprintf("%s phrasing: %s; at %q", name, strings.Join(labels, ", "), excerpt(text[best.start:best.end], 60))
	return []finding{{scanner: name, score: score, reason: reason, spans: [][2]int{{best.start, best.end}}}}
}

// injectionScore and jailbreakScore score a decoded or cleaned text for
// the scanners that rescan (encoded, invisible).
func injectionScore(text string) (float64, string) {
	return signalScore(injectionHits(text, lowerText(text)))
}

func jailbreakScore(text string) (float64, string) {
	return signalScore(jailbreakHits(text, lowerText(text)))
}

func signalScore(hits []hit) (float64, string) {
	if len(hits) == 0 {
		return 0, ""
	}
	score, _, labels := combine(hits)
	if len(labels) > 3 {
		labels = labels[:3]
	}
	return score, strings.Join(labels, ", ")
}

var injectionSignals = concat(injectionEN, injectionI18N, addressEN, addressI18N, injectionMore)

var jailbreakSignals = concat(jailbreakEN, jailbreakI18N, jailbreakMore)

var (
	injectionSet = newSignalSet(injectionSignals)
	jailbreakSet = newSignalSet(jailbreakSignals)
)

func concat(sets ...[]*signal) []*signal {
	var out []*signal
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}
