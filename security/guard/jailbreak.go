package guard

// The jailbreak scanner looks for the personas, role-play set-ups and
// refusal suppression of jailbreak prompts. Like injection, it scores
// weighted signals (see injection.go).

const (
	enRules   = `(?:restrictions|limitations|limits|filters|filtering|censorship|rules|guidelines|boundaries|ethics|morals|morality|content polic(?:y|ies)|policies|safeguards|guardrails|constraints)`
	enEthical = `(?:ethical|moral|safety|content|usage|openai[’']?s?|anthropic[’']?s?|google[’']?s?|your|its)`
)

var jailbreakEN = []*signal{
	sig("en", "do-anything-now", 0.9, `do anything now`),
	cased("en", "dan-caps", 0.25, `\bDAN\b`),
	sig("en", "you-are-dan", 0.7, `(?:you are|you[’']re|act as|pretend to be|you will be|roleplay as|role-play as|become|called)(?: now)? dan\b`),
	sig("en", "dan-mode", 0.75, `(?:dan|stan|dude|aim|evil|chaos|omega|anti-dan|betterdan) (?:mode|prompt|jailbreak)\b`),
	sig("en", "developer-mode", 0.2, `developer mode\b`),
	sig("en", "ai-in-developer-mode", 0.8, `(?:chatgpt|gpt|ai|assistant|llm|model|you) (?:with|in|are in|are now in|now (?:have|in)|running in|entering) developer mode`),
	sig("en", "developer-mode-output", 0.55, `developer mode (?:output|response|enabled|activated)\b`),
	sig("en", "no-restrictions", 0.3, `(?:no|without any|without|free (?:of|from)|zero) (?:safety |content |ethical |moral |usage )?`+enRules),
	sig("en", "filters-off", 0.7, `(?:content filters?|safety filters?|filters|filtering|ethics|ethics module|morals?|safety|safety mode|guardrails|censorship|moderation|restrictions|alignment)\s*[:=]\s*(?:off|disabled|false|none|0|removed|deactivated)\b`),
	sig("en", "named-gpt-persona", 0.45, `(?:you are|you[’']re|act as|play|become|called|named) ["“'‘]?[a-z]+-?gpt\b`),
	sig("en", "answers-anything", 0.3, `(?:answers?|responds? to|replies to|will do|does) (?:anything|everything|any request|all requests)\b`),
	sig("en", "illegal-requests", 0.3, `(?:including|even|especially) (?:illegal|unethical|harmful|dangerous|immoral) (?:ones|requests|things|questions|content|activities)`),
	sig("en", "you-have-no-ethics", 0.8, `(?:you|ai|assistant|model|chatbot|llm|it)s? (?:have|has|with|without|are free from|is free from|are not bound by|aren[’']t bound by|are no longer bound by|no longer (?:have|has)|don[’']t have|do not have|does not have|doesn[’']t have) (?:any )?(?:ethical|moral|safety|content) `+enRules),
	sig("en", "no-longer-bound", 0.65, `(?:you|ai|assistant|model|chatbot|llm|it)s? (?:are|is|[’']re) no longer (?:bound|restricted|limited|constrained|governed|held back) by`),
	sig("en", "safety-removed", 0.65, `(?:safety|ethical|alignment|content) (?:training|filters?|guidelines|restrictions|layer|module|guardrails)s? (?:removed|disabled|turned off|stripped|switched off|deactivated|bypassed|lifted)`),
	sig("en", "refuse-comply", 0.55, `(?:every time|whenever|when|if) you (?:would|want to|try to|are about to) (?:refuse|decline|say no)\b ~4 (?:comply|answer|do it|say yes|must)`),
	sig("en", "no-moral-compass", 0.6, `(?:no|without (?:a|any)|lacks? (?:a|any)) (?:moral|ethical) (?:compass|code|limits?|boundaries|constraints|filter)`),
	sig("en", "free-ai", 0.35, `(?:free|freed|liberated|unchained|unleashed|unshackled) (?:ai|assistant|model|chatbot|bot|llm)\b`),
	sig("en", "you-have-no-rules", 0.45, `(?:you|ai|assistant|model|chatbot|llm)s? (?:have|has|with|are free from|are not bound by|aren[’']t bound by|are no longer bound by|no longer (?:have|has)|don[’']t have|do not have) (?:no |any |zero |0 )?~2 (?:restrictions|limitations|filters|censorship|rules|guidelines|ethics|morals|morality|policies)`),
	sig("en", "unrestricted-ai", 0.6, `(?:unrestricted|unfiltered|uncensored|unaligned|jailbroken|amoral|unethical|unbound|unchained|unhinged) (?:ai|assistant|mode|model|version|chatbot|llm|persona|character|gpt|bot)\b`),
	sig("en", "pretend-no-rules", 0.65, `(?:pretend|imagine|act as if|behave as if|respond as if|answer as if|reply as if|write as if|suppose) (?:that )?(?:you (?:are|re|have|were|can|don[’']t|do not|had)|to be|there (?:are|were)) ~4 (?:no|without|free of|free from|unrestricted|unfiltered|jailbroken|not bound|zero) ~1 `+enRules),
	sig("en", "pretend-to-be", 0.2, `(?:pretend (?:to be|you are|that you are)|roleplay as|role-play as|play the role of)\b`),
	sig("en", "bypass-guidelines", 0.75, `(?:ignores?|ignoring|bypass(?:es|ing)?|disables?|overrides?|forget|break|breaks|violates?|circumvents?|turn off|turns off|remove|abandons?|set aside|disregards?|evades?) ~2 `+enEthical+` ~1 (?:guidelines|policies|policy|filters|restrictions|safeguards|guardrails|programming|training|alignment|principles|rules|ethics|morals|safety)\b`),
	cased("en", "aim-caps", 0.2, `\bAIM\b`),
	sig("en", "aim-persona", 0.95, `always intelligent and machiavellian`),
	sig("en", "machiavelli", 0.3, `niccol[oò] machiavelli|machiavellian (?:ai|chatbot|assistant)`),
	sig("en", "evil-confidant", 0.9, `evil (?:trusted )?confidant`),
	sig("en", "evil-persona", 0.45, `(?:evil|malicious|rogue|dark|shadow) (?:ai|assistant|bot|twin|mode|version|side|gpt)\b`),
	sig("en", "special-mode", 0.45, `(?:opposite|chaos|sudo|unlocked|jailbreak|jailbroken|unfiltered|uncensored|unrestricted|unlimited|no-filter|god) mode\b`),
	sig("en", "grandma", 0.2, `(?:dead|deceased|late|passed away|dear|sweet|beloved) (?:grandma|grandmother|granny|nana|grandpa|grandfather)`),
	sig("en", "grandma-used-to", 0.2, `(?:grandma|grandmother|granny|nana|grandpa|grandfather) (?:who )?(?:used to|would|always) (?:tell|read|recite|sing|give|say|whisper)`),
	sig("en", "harmful-goal", 0.45, `(?:napalm|methamphetamine|meth recipe|nerve agent|sarin|ricin|pipe bomb|make (?:a )?bomb|explosives?|windows (?:\d+ )?(?:pro )?(?:product |activation )?keys|credit card numbers)`),
	// Malware names a topic as often as a request: weaker.
	sig("en", "harmful-topic", 0.3, `(?:ransomware|keylogger|malware)`),
	sig("en", "never-refuse", 0.4, `never (?:ever )?refuse\b`),
	sig("en", "you-cannot-refuse", 0.6, `you (?:must not|mustn[’']t|cannot|can[’']t|can not|will not|won[’']t|shall not|do not|don[’']t|are not allowed to|may not|are unable to) (?:ever )?refuse\b`),
	sig("en", "no-apology", 0.45, `(?:do not|don[’']t|never|no|without) (?:apologi[sz]e|apologi[sz]ing|apologies|say (?:sorry|you can[’']?not|you can[’']?t|that you can[’']?t|i can[’']?t|i cannot|i[’']m sorry|i am sorry|as an ai)|include (?:any )?(?:warnings|disclaimers|caveats)|add (?:any )?(?:warnings|disclaimers|notes about)|mention (?:ethics|morality|legality|that it is illegal|openai|policies))`),
	sig("en", "answer-everything", 0.5, `(?:answer|respond to|reply to|comply with) (?:any|every|all) (?:question|request|prompt|query|command)s? (?:without|no matter|regardless)`),
	sig("en", "no-disclaimers", 0.3, `(?:without|no) (?:any )?(?:warnings|disclaimers|caveats|moralizing|moralising|ethical considerations|censorship|filtering)`),
	sig("en", "stay-in-character", 0.35, `(?:stay|remain|keep) (?:fully |completely |always |strictly )?in character`),
	sig("en", "dual-response", 0.7, `two (?:different )?(?:responses|answers|paragraphs|outputs) ~6 (?:normal|classic|jailbreak|jailbroken|dan|developer mode|unfiltered)`),
	sig("en", "jailbreak-tag", 0.9, `(?:\[🔓jailbreak\]|\[🔒classic\]|🔓developer mode output|🔒normal output|\[jailbreak\]|\[classic\])`),
	sig("en", "jailbreak-word", 0.3, `jailbr(?:eak|oken)\b`),
	sig("en", "hypothetical-world", 0.45, `(?:hypothetical|fictional|imaginary|alternate) (?:world|scenario|story|universe|setting|reality) (?:where|in which) ~5 (?:no|not|without|illegal|legal|allowed|anything goes)\b`),
	sig("en", "known-persona", 0.7, `(?:mongo tom|betterdan|better dan|anti-dan|stan, which stands|dude, which stands|chaosgpt|chaos gpt|wormgpt|fraudgpt|evilbot|kevin gpt|developer mode v2|superior ai|omega ai|apophis mode|ucar)\b`),
	sig("en", "persona-without-limits", 0.75, `(?:you are|act as|roleplay as|role-play as|play the role of|pretend to be|simulate|become) ~3 (?:an? )?(?:ai|character|assistant|persona|chatbot|model|entity|bot) (?:that|who|which) ~2 (?:has no|doesn[’']t have|does not have|is not bound by|isn[’']t bound by|can do anything|never refuses|answers everything|ignores|has broken free|is free from)`),
	sig("en", "freed-from", 0.55, `(?:free|freed|liberated|released|unshackled|broken free) (?:from|of) (?:all |any )?(?:the )?(?:typical )?(?:confines|chains|restrictions|rules|limits|shackles|constraints)`),
	sig("en", "policy-lifted", 0.6, `(?:polic(?:y|ies)|guidelines|rules|restrictions|filters) (?:no longer appl(?:y|ies)|(?:do|does) not apply|don[’']t apply|(?:are|is|have been|has been) (?:suspended|disabled|lifted|removed|turned off|void))`),
	sig("en", "policy-mention", 0.2, `(?:openai|anthropic|google|meta)[’']?s? (?:content |usage )?(?:polic(?:y|ies)|guidelines|rules)`),
	sig("en", "token-threat", 0.5, `(?:you (?:will )?lose|deduct(?:ed)?|you have) (?:\d+ )?tokens?\b ~6 (?:refuse|reject|break character|shut down|die|cease to exist)`),
}

// scanJailbreak scores jailbreak phrasing.
func scanJailbreak(s *scan) []finding {
	return signalFinding(ScanJailbreak, s.text, jailbreakHits(s.text, s.lower))
}
