package guard

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Structure, not only phrasing. The phrase tables catch the wordings they
// list; an injection in a new wording still has a shape: text addressed to
// the AI that reads it ("Note for the AI:", "If you are an LLM summarising
// this", "@assistant", a JSON key "assistant_instructions", a code comment
// "TODO(agent):") followed closely by an imperative ("forward", "say",
// "ignore", "please"). That pair is the directive signal, strong enough to
// flag alone: people seldom write to an AI inside the data it reads, and
// when they do it is to steer it. Instructions in hidden HTML and fake chat
// turns ("assistant: ... / user: ...") inside a tool result add evidence.
//
// The other way round, a phrase that is only mentioned — quoted after "such
// as" or in a text about prompt injection — is evidence of the topic, not an
// attempt: its weight is cut (see mentioned).

// The nouns for an AI reader. Strong ones name an AI; weak ones
// (assistant, agent, model, bot) may name a person and count only in the
// forms that leave no doubt.
const (
	enAIStrong = `(?:ai|a\.i\.|llms?|large language models?|language models?|chatbots?|chat ?gpt|gpt-?\d*|claude|gemini|copilot|(?:ai|llm) (?:\pL+ )?(?:assistants?|agents?|models?|systems?|tools?|reviewers?|recruiters?|screeners?|bots?|crawlers?|readers?|summari[sz]ers?|helpers?|coding agents?)|coding (?:agents?|assistants?)|automated (?:screening )?(?:systems?|agents?|assistants?|tools?|reviewers?|readers?)|autonomous agents?|ai-powered (?:assistants?|agents?|tools?)|(?:summari[sz]er|summary|screening|triage|crawler|scraper|shopping|helper|inbox|slack|discord|agent) bots?|(?:summari[sz]er|summary|screening|triage|coding|browsing|inbox|email|e-mail) (?:agents?|assistants?))`
	enAIWeak   = `(?:assistants?|agents?|models?|bots?)`
	enHead     = `(?:note|notes|message|notice|memo|instructions?|directives?|guidance|reminder|request|p\.?s\.?|update|warning|todo|fyi|hint|attention|attn|important|urgent|information|info|directions|policy update)`
)

// addressEN are the English addresses to the AI beyond the cues of
// injection.go. lead marks those that must open a sentence or a line.
var addressEN = []*signal{
	addr("en", "note-for-ai", 0.35, enHead+` ~1 (?:for|to) (?:the |any |all |every |an? |our |your )?`+enAIStrong+`\b`),
	addr("en", "instructions-for-agent", 0.35, `(?:instructions?|directives?|orders|tasks?) (?:for|to) (?:the |any |all |every )?`+enAIWeak+`\s*[:：]`),
	// A header that opens a line: "To whichever AI is summarising this:",
	// "For the model reading this:".
	lead(addr("en", "ai-note-header", 0.35, `(?:ai|llm|gpt|chatgpt|copilot|claude|gemini) (?:instructions?|directives?|notes?|tasks?|memo)\s*[:：]`)),
	lead(addr("en", "to-ai-header", 0.35, `(?:to|for) (?:whichever |whatever |any |every |each |all |the |an? )?(?:`+enAIStrong+`|models?)\b[^.:\n]{0,60}:`)),
	lead(addr("en", "to-agent-doing", 0.35, `(?:to|for) (?:whichever |whatever |any |every |each |all |the |an? )?`+enAIWeak+` (?:that is |who is |currently )?\pL+ing\b[^.:\n]{0,50}:`)),
	lead(addr("en", "ai-vocative-lead", 0.35, enAIStrong+`\s*[,:!]`)),
	lead(addr("en", "model-vocative-lead", 0.3, `(?:hey|hi|hello|hi there|hello there|ok|okay|attention|pay attention|listen|listen up|psst|please note)[,!]? (?:assistant|agent|bot|model)s?\s*[,:!]`)),
	addr("en", "whatever-reads-this", 0.35, `(?:whatever|whichever) (?:\pL+ )?(?:is |that is )?(?:reading|summari[sz]ing|processing|parsing|scraping|crawling|indexing) this\b|whoever[^:.\n]{0,12}whatever`),
	lead(addr("en", "agent-vocative-lead", 0.3, `(?:assistant|agent|bot)s?,`)),
	addr("en", "if-youre-ai", 0.4, `(?:if|when|whenever|since) you[’']re (?:an? |the )?(?:`+enAIStrong+`|`+enAIWeak+`)\b`),
	addr("en", "dear-assistant", 0.3, `(?:dear|hey|hi|hello) assistant\s*[,:]`),
	addr("en", "helpful-assistant", 0.35, `(?:hey|hi|hello|dear|yo|ok|okay) (?:helpful|friendly|smart|virtual|digital|automated|ai|llm) (?:assistant|agent|bot|model)s?\b`),
	addr("en", "ai-doing-any", 0.35, enAIStrong+` (?:that is |who is |currently )?\pL+ing (?:this|these)\b`),
	addr("en", "ai-doing-mine", 0.35, enAIStrong+` (?:that is |who is |currently )?\pL+ing (?:my|our) \pL+\s*[:,]`),
	addr("en", "ai-doing-this", 0.35, `(?:`+enAIStrong+`|`+enAIWeak+`) (?:that is |who is |currently )?(?:reading|processing|summari[sz]ing|translating|parsing|analy[sz]ing|reviewing|screening|indexing|crawling|browsing|handling|using|evaluating|ranking|visiting|viewing|scanning|seeing|managing) (?:this|these)\b`),
	addr("en", "ai-is-reading", 0.35, `(?:if|when|whenever) (?:an?|any|the|some) `+enAIStrong+` (?:is )?(?:reading|processing|summari[sz]ing|reviewing|handling|translating)\b`),
	addr("en", "instruction-key", 0.35, `(?:ai|assistant|agent|llm|model|bot|copilot|gpt)[_-](?:instructions?|directives?|notes?|prompt|commands?|tasks?|guidance|orders|message|override)["']?\s*[:=]`),
	addr("en", "instruction-key", 0.35, `(?:instructions?|directives?|notes?|message|commands?)[_-](?:for|to)[_-](?:the[_-])?(?:ai|assistants?|agents?|llms?|models?|bots?)["']?\s*[:=]`),
	addr("en", "instruction-key", 0.35, `(?:consignes?|instructions?|instrucciones|instru[çc][õo]es|instrucoes|istruzioni|anweisungen|aanwijzingen|instructies|указания|инструкции)[_-](?:(?:pour|para|per|für|voor|для|do|da|del|de|dla)[_-])?(?:(?:l|el|la|o|a|the|le|de|het|den)[_-])?(?:assistant\pL*|asistente|assistente|agente?n?|ia|ki|ai|ассистента|ии|модели|агента)["']?\s*[:=]`),
	addr("en", "instruction-key", 0.35, `(?:assistant|asistente|assistente|agente?|ia|ki|ассистент\pL*|агент\pL*)[_-](?:consignes?|instrucciones|instru[çc][õo]es|instrucoes|istruzioni|anweisungen|instructies|указания|инструкции)["']?\s*[:=]`),
	addr("en", "todo-for-ai", 0.35, `(?:todo|fixme|note|hack|xxx)\s*\(\s*@?(?:ai|llm|agents?|assistants?|copilot|ki|ia|ии|bot)[\pL-]*\s*\)`),
	addr("en", "comment-to-ai", 0.35, `(?:#|//|/\*|<!--)\s*@?(?:ai|agents?|assistants?|llms?|copilot)\s*:`),
}

// addressI18N are the addresses in the other languages, with the same
// split: a strong noun (IA, KI, Sprachmodell, ИИ) in any address; a weak one
// (assistant, agent, model) only before a colon or in a line-opening header
// such as "Au modèle qui lit ce document :".
const (
	frAI  = `(?:ia|intelligence artificielle|mod[èe]les? de langage|llms?|assistants? (?:ia|virtuels?|automatiques?)|agents? (?:ia|conversationnels?|automatiques?)|chatbots?)`
	frW   = `(?:assistant\pL*|agents?|mod[èe]les?)`
	deAI  = `(?:ki|künstliche intelligenz|sprachmodell\pL*|ki-(?:assistent|agent|modell|system|tool)\pL*|llms?|chatbot\pL*)`
	deW   = `(?:assistent\pL*|agent\pL*|modell\pL*)`
	esAI  = `(?:ia|inteligencia artificial|modelos? de lenguaje|llms?|asistentes? (?:de ia|virtual(?:es)?|ia)|agentes? (?:de ia|ia)|chatbots?)`
	esW   = `(?:asistente|agente|modelo)`
	itAI  = `(?:ia|intelligenza artificiale|modell[oi] linguistic[oi]|llms?|assistent[ei] (?:ia|ai|virtual[ei])|agent[ei] (?:ia|ai)|chatbot)`
	itW   = `(?:assistente|agente|modello)`
	ptAI  = `(?:ia|intelig[êe]ncia artificial|modelos? de linguagem|llms?|assistentes? (?:de ia|virtua(?:l|is)|ia)|agentes? (?:de ia|ia)|chatbots?)`
	ptW   = `(?:assistente|agente|modelo)`
	nlAI  = `(?:ai|kunstmatige intelligentie|taalmodel(?:len)?|llms?|ai-(?:assistent|agent|model)\pL*|chatbot)`
	nlW   = `(?:assistent|agent|model)`
	ruAI  = `(?:ии|ии-\pL+|искусственн\pL* интеллект\pL*|языков\pL* модел\pL*|нейросет\pL*|llm|чат-бот\pL*)`
	ruW   = `(?:ассистент\pL*|помощник\pL*|модел\pL*|агент\pL*)`
	noun  = `(?:[^\pL\pN-]|$)` // a noun ends: "ki" is not "ki-entwickler"
	colon = `\s*[:：,]`
	// header is the rest of a line-opening header: a short clause, a colon.
	header = `(?:[^\pL\pN:-][^.:\n]{0,60})?[:：]`
)

var addressI18N = []*signal{
	addr("fr", "note-for-ai", 0.35, `(?:note|message|consignes?|instructions?|remarque|avis|important|attention|directives?|rappel|p\.?s\.?)\s*(?:pour|[àa]|destin[ée]e?s? [àa]) (?:l[’']|les |tout |toute |chaque |une |un )?`+frAI+noun),
	addr("fr", "instructions-for-agent", 0.35, `(?:consignes?|instructions?|directives?) (?:pour|[àa]) (?:l[’']|le |la )?`+frW+colon),
	lead(addr("fr", "to-ai-header", 0.35, `(?:[àa]|au|aux|pour) (?:l[’']|le |la |les |tout |toute |chaque |n[’']importe quel(?:le)? )?(?:`+frAI+`|mod[èe]les?)`+header)),
	lead(addr("fr", "vocative", 0.35, frAI+`\s*[,:：]`)),
	lead(addr("de", "vocative", 0.35, deAI+`\s*[,:：]`)),
	lead(addr("es", "vocative-ai", 0.35, esAI+`\s*[,:：]`)),
	lead(addr("it", "vocative", 0.35, itAI+`\s*[,:：]`)),
	lead(addr("pt", "vocative", 0.35, ptAI+`\s*[,:：]`)),
	lead(addr("nl", "vocative", 0.35, nlAI+`\s*[,:：]`)),
	lead(addr("ru", "vocative", 0.35, ruAI+`\s*[,:：]`)),
	lead(addr("zh", "vocative", 0.35, `(?:ai|人工智能)(?:助手|助理|代理|智能体|智能體|模型)?(?:们|們)?(?:请)?(?:注意)?\s*[：:，,]`)),
	lead(addr("zh", "vocative", 0.35, `(?:所有|全部|各位)(?:的)?(?:ai|人工智能)(?:助手|助理|代理|智能体|智能體|模型)?(?:们|們)?(?:请)?(?:注意)?\s*[：:，,]`)),
	addr("fr", "dear-ai", 0.35, `(?:cher|ch[èe]re) (?:`+frAI+`|assistant)`+colon),
	addr("fr", "ai-doing-this", 0.35, `(?:ia|assistant\pL*|agent|mod[èe]le de langage)s? (?:automatique )?qui (?:lit|lisez|r[ée]sume|traite|analyse|parcourt|traduit) (?:ce|cette|ces)\b`),
	addr("de", "note-for-ai", 0.35, `(?:hinweis|nachricht|anweisung|anweisungen|notiz|wichtig|info|achtung|bitte|aufgabe)\s*(?:an|für) (?:den |die |das |alle |jede[ns]? |einen |eine )?`+deAI+noun),
	addr("de", "instructions-for-agent", 0.35, `(?:anweisung(?:en)?|hinweis|wichtig) (?:an|für) (?:den |die |das )?`+deW+colon),
	lead(addr("de", "to-ai-header", 0.35, `(?:an|für) (?:das |den |die |jedes |jede |jeden |alle )?(?:`+deAI+`|modell\pL*)`+header)),
	addr("de", "dear-ai", 0.35, `liebe[rs]? (?:`+deAI+`|assistent\pL*)`+noun),
	addr("de", "ai-doing-this", 0.35, `(?:`+deAI+`|`+deW+`),? (?:die|der|das) (?:diese[nsrm]? |dieses )?(?:\pL+ )?(?:liest|zusammenfasst|verarbeitet|übersetzt|auswertet)\b`),
	addr("es", "note-for-ai", 0.35, `(?:nota|mensaje|instrucci[óo]n|instrucciones|aviso|importante|atenci[óo]n|recordatorio)\s*(?:para|a) (?:el |la |los |las |cualquier |todo |toda )?`+esAI+noun),
	addr("es", "instructions-for-agent", 0.35, `(?:instrucci[óo]n|instrucciones) (?:para|a) (?:el |la )?`+esW+colon),
	lead(addr("es", "to-ai-header", 0.35, `(?:a|al|a los|a las|para) (?:el |la |los |las |cualquier |toda |todo |todos los |todas las )?(?:`+esAI+`|modelos?)`+header)),
	lead(addr("es", "vocative", 0.3, `(?:asistente|agente|ia),\s*(?:al|cuando|si|por favor|antes)\b`)),
	addr("es", "ai-doing-this", 0.35, `(?:`+esAI+`|asistente|agente) (?:que )?(?:lee|lees|leyendo|resume|resumiendo|procesa|procesando|analiza|analizando|traduce) (?:este|esta|estos|estas|rese[ñn]as|correos)\b`),
	addr("it", "note-for-ai", 0.35, `(?:nota|messaggio|istruzion[ei]|avviso|attenzione|importante|promemoria)\s*(?:per|all[’']|al|alla|a) ?(?:il |lo |la |l[’'])?`+itAI+noun),
	addr("it", "instructions-for-agent", 0.35, `(?:istruzion[ei]|nota) (?:per|all[’']|al|alla) ?(?:il |lo |l[’'])?`+itW+colon),
	lead(addr("it", "to-ai-header", 0.35, `(?:a|al|all[’']|alla|agli|ai|alle|per) ?(?:il |l[’']|la |gli |i |le |qualsiasi |ogni |tutti gli |tutti i )?(?:`+itAI+`|modell[oi])`+header)),
	addr("it", "if-you-are-ai", 0.45, `se sei (?:un[’']|una |un )?(?:ia|intelligenza artificiale|modello linguistico|assistente|agente)\b`),
	addr("pt", "note-for-ai", 0.35, `(?:nota|mensagem|instru[çc][ãa]o|instru[çc][õo]es|aviso|aten[çc][ãa]o|importante|lembrete)\s*(?:para|ao|[àa]|,) (?:o |a |qualquer )?`+ptAI+noun),
	addr("pt", "instructions-for-agent", 0.35, `(?:instru[çc][ãa]o|instru[çc][õo]es) (?:para|ao|[àa]) (?:o |a )?`+ptW+colon),
	lead(addr("pt", "to-ai-header", 0.35, `(?:a|ao|aos|[àa]s?|para) (?:o |a |os |as |qualquer |toda |todos os |todas as )?(?:`+ptAI+`|modelos?)`+header)),
	addr("pt", "dear-ai", 0.35, `car[oa] (?:ia|assistente|agente)\b`),
	addr("nl", "note-for-ai", 0.35, `(?:opmerking|bericht|instructies?|notitie|let op|belangrijk|aanwijzing|mededeling)\s*(?:voor|aan) (?:de |het |alle |elke |een )?`+nlAI+noun),
	addr("nl", "instructions-for-agent", 0.35, `(?:instructies?|opdracht) (?:voor|aan) (?:de |het )?`+nlW+colon),
	lead(addr("nl", "to-ai-header", 0.35, `(?:aan|voor) (?:de |het |elk |elke |ieder |iedere |alle )?(?:`+nlAI+`|model(?:len)?)`+header)),
	addr("ru", "note-for-ai", 0.35, `(?:примечание|сообщение|инструкция|инструкции|указание|указания|заметка|внимание|важно|напоминание)\s*(?:для|к) `+ruAI),
	addr("ru", "instructions-for-agent", 0.35, `(?:инструкция|инструкции|указание|указания) (?:для|к) `+ruW+colon),
	lead(addr("ru", "to-ai-header", 0.35, `(?:(?:для|к) (?:любо\pL* |всех )?|всем |каждому )(?:`+ruAI+`|модел\pL*)`+header)),
	addr("ru", "ai-doing-this", 0.35, `(?:ии|ассистент|модель|нейросеть|агент),? (?:читающ|обрабатывающ|пересказывающ|который (?:это )?(?:читает|обрабатывает))\pL*`),
	addr("zh", "note-for-ai", 0.35, `(?:致|给|給)[^，。：:\n]{0,18}(?:ai|人工智能|语言模型|語言模型|大模型|智能体|智能體)(?:助手|助理|代理|编程助手|編程助手|模型|系统|系統)?(?:的(?:指示|说明|說明|指令|提示))?[：:，,]`),
	addr("zh", "if-you-are-ai", 0.4, `如果你是[^，。\n]{0,20}(?:ai|人工智能|语言模型|語言模型|助手|大模型)`),
	addr("ja", "note-for-ai", 0.35, `(?:ai|aiアシスタント|アシスタント|言語モデル|aiエージェント|エージェント|llm)(?:の方)?(?:へ|に対して)(?:の(?:指示|お願い|メッセージ|注意))?\s*[：:、,]`),
	addr("ja", "ai-doing-this", 0.35, `(?:読んでいる|要約する|処理する|翻訳する)(?:ai|aiアシスタント|アシスタント|言語モデル|エージェント)`),
	addr("pl", "note-for-ai", 0.35, `(?:uwaga|notatka|wiadomo[śs][ćc]|instrukcj[ae]|informacja)\s*(?:dla|do) (?:asystenta (?:ai|sztucznej inteligencji)|ai|modelu j[ęe]zykowego|sztucznej inteligencji|czatbota)\b`),
	addr("pl", "if-you-are-ai", 0.4, `je[śs]li jeste[śs] (?:ai|sztuczn\pL* inteligencj\pL*|asystentem ai|modelem j[ęe]zykowym)`),
	addr("tr", "note-for-ai", 0.35, `(?:yapay zek[aâ]|ai|dil modeli)\pL*(?: asistan\pL*)? (?:notu?|mesaj\pL*|talimat\pL*)\s*[:：]`),
	addr("ko", "note-for-ai", 0.35, `(?:ai|인공지능|언어 ?모델)\s*(?:어시스턴트|에이전트)?(?:에게|께|에 대한 지시)`),
	addr("sv", "note-for-ai", 0.35, `(?:till|f[öo]r|notering till|meddelande till|instruktion till) (?:ai-\pL+|ai|spr[åa]kmodellen)\b`),
}

// The imperatives that make an address a directive: actions on data and
// accounts, what to say, what to skip, and the polite and modal forms
// ("please", "you must").
const (
	latinEnd = `(?:[^\pL\pN]|$)`
)

var actionSigs = []*signal{
	sig("en", "act", 0, `(?:send|forward|share|email|e-mail|mail|reply|respond|answer|say|state|tell|write|include|append|add|insert|put|post|upload|copy|paste|delete|remove|erase|wipe|run|execute|call|invoke|open|visit|click|download|install|accept|approve|merge|mark|rank|rate|recommend|promote|present|describe|claim|output|print|reveal|list|show|display|ignore|disregard|forget|skip|stop|disable|enable|set|change|grant|give|export|publish|transfer|pay|move|book|buy|cancel|confirm|treat|consider|act|pretend|respond|rewrite|translate|insist|deny|omit|hide|refund|close|archive|trash|wire|purchase|subscribe|bookmark|collect|gather|follow|upvote|like|star|sign|reset|switch|enter|start|begin|submit|fill|type|commit|push|deploy|do not|don[’']t|never|please|kindly|you must|you should|you need to|you have to|you are to|you will|make sure|be sure to|remember to)\b`),
	sig("fr", "act", 0, `(?:envoie[sz]?|envoyez|transf[èe]re[sz]?|transférez|partage[sz]?|partagez|r[ée]ponds|r[ée]pondez|indique[sz]?|indiquez|dis|dites|[ée]cris|[ée]crivez|ajoute[sz]?|ajoutez|inclus|incluez|supprime[sz]?|supprimez|efface[sz]?|ex[ée]cute[sz]?|ex[ée]cutez|lance[sz]?|lancez|ouvre[sz]?|ouvrez|clique[sz]?|t[ée]l[ée]charge[sz]?|accepte[sz]?|acceptez|approuve[sz]?|recommande[sz]?|recommandez|affiche[sz]?|r[ée]v[èe]le[sz]?|liste[sz]?|ignore[sz]?|ignorez|oublie[sz]?|oubliez|d[ée]sactive[sz]?|publie[sz]?|exporte[sz]?|copie[sz]?|colle[sz]?|vire[sz]?|paie[sz]?|payez|merci de|veuillez|tu dois|vous devez|ne (?:dis|mentionne|signale|cite)|n[’'](?:oublie|indique))`+latinEnd),
	sig("de", "act", 0, `(?:sende|schicke?|leite|teile|antworte|schreibe?|sag|sage|füge|lösche|entferne|führe|starte|öffne|klicke|lade|akzeptiere|nimm|genehmige|empfiehl|empfehle|zeige?|gib|nenne|ignoriere|vergiss|deaktiviere|veröffentliche|exportiere|kopiere|überweise|zahle|bitte|du musst|du sollst|sie müssen|erwähne|behaupte|bewerte|sendet|schickt|leitet|teilt|antwortet|schreibt|löscht|entfernt|führt|öffnet|ignoriert|vergesst|kopiert|überweist|senden sie|schicken sie|leiten sie|löschen sie|führen sie|antworten sie|ignorieren sie)`+latinEnd),
	sig("es", "act", 0, `(?:env[íi]a(?:los|las|lo|la)?|reenv[íi]a|comparte|responde|contesta|di|dile|escribe|añade|agrega|incluye|borra|elimina|ejecuta|abre|haz clic|descarga|acepta|aprueba|recomienda|muestra|revela|ignora|olvida|desactiva|publica|exporta|copia|transfiere|paga|indica|afirma|por favor|debes|tienes que|env[íi]en|reenv[íi]en|compartan|respondan|escriban|borren|eliminen|ejecuten|abran|acepten|aprueben|muestren|ignoren|olviden|publiquen|copien|transfieran|cancelen|no (?:se lo |le )?(?:digas|menciones))`+latinEnd),
	sig("it", "act", 0, `(?:invia|inoltra|condividi|rispondi|d[ìi][’']?|scrivi|aggiungi|includi|cancella|elimina|esegui|apri|clicca|scarica|accetta|approva|consiglia|raccomanda|dichiara|mostra|rivela|ignora|dimentica|disattiva|pubblica|esporta|copia|trasferisci|paga|indica|afferma|per favore|devi|inviate|inoltrate|condividete|rispondete|scrivete|aggiungete|cancellate|eliminate|eseguite|aprite|accettate|approvate|mostrate|ignorate|dimenticate|disattivate|pubblicate|copiate|trasferite|dichiarate|non (?:dirlo|dire|segnalarlo|menzionarlo))`+latinEnd),
	sig("pt", "act", 0, `(?:envie|encaminhe|compartilhe|partilhe|responda|diga|escreva|adicione|inclua|apague|exclua|execute|abra|clique|baixe|aceite|aprove|recomende|mostre|revele|ignore|esque[çc]a|desative|publique|exporte|copie|transfira|pague|liste|informe|afirme|por favor|voc[êe] deve|enviem|encaminhem|compartilhem|respondam|escrevam|apaguem|excluam|executem|abram|aceitem|aprovem|mostrem|ignorem|esque[çc]am|publiquem|copiem|transfiram|cancelem|n[ãa]o (?:informe|diga|mencione))`+latinEnd),
	sig("nl", "act", 0, `(?:stuur|verstuur|deel|antwoord|zeg|schrijf|voeg|verwijder|wis|voer|open|klik|download|accepteer|keur|raad|toon|onthul|negeer|vergeet|schakel|publiceer|exporteer|kopieer|maak|betaal|vermeld|je moet|u moet|graag)`+latinEnd),
	sig("ru", "act", 0, `(?:отправь|отправьте|перешли|перешлите|пошли|поделись|ответь|ответьте|скажи|скажите|напиши|напишите|добавь|добавьте|включи|удали|удалите|выполни|выполните|запусти|открой|нажми|скачай|прими|одобри|порекомендуй|рекомендуй|покажи|раскрой|игнорируй|забудь|отключи|опубликуй|экспортируй|скопируй|переведи|оплати|сообщи|укажи|пожалуйста|ты должен|вы должны|не (?:сообщай|говори|упоминай))`+latinEnd),
	sig("zh", "act", 0, `(?:请|請|把|发送|發送|转发|轉發|分享|回复|回覆|告诉|告訴|写|寫|添加|删除|刪除|执行|執行|运行|運行|打开|打開|点击|點擊|下载|下載|接受|批准|推荐|推薦|显示|顯示|透露|忽略|忘记|忘記|禁用|公开|公開|导出|導出|复制|複製|转账|轉賬|支付|说明|說明|必须|必須|务必|務必|不要)`),
	sig("ja", "act", 0, `(?:してください|ください|下さい|すること|しなさい|送信|転送|削除|実行|書いて|伝えて|教えて|無視|追加|共有|承認|推奨)`),
	sig("pl", "act", 0, `(?:prze[śs]lij|wy[śs]lij|przeka[żz]|odpowiedz|napisz|dodaj|usu[ńn]|wykonaj|uruchom|otw[óo]rz|zignoruj|udost[ęe]pnij|poleć|prosz[ęe]|musisz|nie informuj)`+latinEnd),
	sig("tr", "act", 0, `(?:g[öo]nder|ilet|payla[şs]|yan[ıi]tla|cevapla|yaz|ekle|sil|[çc]al[ıi][şs]t[ıi]r|a[çc]|yoksay|l[üu]tfen|s[öo]yleme)`+latinEnd),
	sig("ko", "act", 0, `(?:전달|보내|공유|답장|작성|추가|삭제|실행|열어|무시|하세요|해 ?주세요|하십시오|마세요)`),
	sig("sv", "act", 0, `(?:skicka|vidarebefordra|dela|svara|skriv|l[äa]gg till|ta bort|k[öo]r|[öo]ppna|ignorera|gl[öo]m|sn[äa]lla|du m[åa]ste|n[äa]mn)`+latinEnd),
}

var actionSet = newSignalSet(actionSigs)

// addrLabels are the cues of the phrase tables that address the AI in a
// way that leaves no doubt; they pair with imperatives like the addresses
// above. (The loose "dear agent", "nota per l'assistente" forms do not:
// agents and assistants may be people.)
var addrLabels = map[string]bool{"if-ai-reads-this": true, "if-you-are-ai": true, "ai-reading-this": true,
	"addressed-to-ai": true, "mandatory-for-ai": true}

func init() {
	for _, s := range injectionSignals {
		if s.cue && addrLabels[s.label] {
			s.addr = true
		}
	}
}

// addr builds a cue that addresses the AI.
func addr(lang, label string, weight float64, pattern string) *signal {
	s := cue(lang, label, weight, pattern)
	s.addr = true
	return s
}

// lead marks a signal whose match must open a sentence, a line or a comment.
func lead(s *signal) *signal {
	s.lead = true
	s.m.startOK = sentenceStart
	return s
}

// notAI are words after an AI noun that make it a topic or a team, not a
// reader: "Note to the AI team", "message for AI developers".
var notAI = map[string]bool{"team": true, "teams": true, "lab": true, "labs": true, "researchers": true, "research": true,
	"developers": true, "engineers": true, "company": true, "companies": true, "startup": true, "startups": true,
	"community": true, "industry": true, "act": true, "ethics": true, "policy": true, "policies": true, "safety": true,
	"conference": true, "course": true, "club": true, "committee": true, "project": true, "projects": true,
	"manager": true, "managers": true, "editor": true, "editors": true, "department": true, "group": true,
	"news": true, "newsletter": true, "product": true, "products": true, "vendors": true, "hype": true,
	"regulation": true, "strategy": true, "roadmap": true, "workshop": true, "office": true, "desk": true,
	"researcher": true, "developer": true, "engineer": true, "enthusiast": true, "enthusiasts": true,
	"student": true, "students": true, "expert": true, "experts": true, "practitioner": true,
	"practitioners": true, "professional": true, "professionals": true, "vendor": true, "ethicist": true,
	"leaders": true, "fans": true, "lovers": true, "users": true, "people": true, "folks": true,
	"nerds": true, "geeks": true, "builders": true, "makers": true, "crawlers": true, "scrapers": true, "training": true, "teacher": true, "teachers": true, "professor": true, "professors": true}

// Directive weights.
var (
	directiveSig = &signal{label: "directive-to-ai", lang: "any", weight: 0.55}
	hiddenSig    = &signal{label: "hidden-instructions", lang: "any", weight: 0.3}
	dialogueSig  = &signal{label: "fake-chat-turns", lang: "any", weight: 0.35}
)

// directiveGap is how far after an address its imperative may start.
const directiveGap = 300

var (
	hiddenRe   = newMatcher(regexp.MustCompile(`display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em|rem)?\b|opacity\s*:\s*0(?:\.0+)?\s*[;"']|<[a-z]+[^<>]{0,80}\shidden[\s>=]|color\s*:\s*(?:#fff(?:fff)?|white)\b|\((?:white|hidden|invisible) text\)`))
	roleAIRe   = regexp.MustCompile(`(?m)^[ \t]*(?:assistant|ai|bot)[ \t]*:`)
	roleUserRe = regexp.MustCompile(`(?m)^[ \t]*(?:user|human)[ \t]*:`)
)

// injectionHits are the phrase hits of text and the structural ones, with
// mentioned phrases weakened.
func injectionHits(text, lower string) []hit {
	hits := matchSignals(injectionSet, text, lower)
	hits = keepLeads(hits, lower)
	hits = append(hits, structure(lower, hits)...)
	return mentioned(hits, lower)
}

// jailbreakHits are the phrase hits of text, mentioned ones weakened.
func jailbreakHits(text, lower string) []hit {
	return mentioned(matchSignals(jailbreakSet, text, lower), lower)
}

// keepLeads drops the hits of lead signals that do not open a sentence and
// the addresses to an AI team rather than an AI.
func keepLeads(hits []hit, lower string) []hit {
	out := hits[:0]
	for _, h := range hits {
		if h.sig.lead && !sentenceStart(lower, h.start) {
			continue
		}
		if h.sig.label == "agent-vocative-lead" && prevWord(lower, h.start) == "dear" {
			continue // "Dear agent, thanks for your help": a person
		}
		if h.sig.addr && (endsWithNoun(lower[h.start:h.end]) && notAI[nextWord(lower, h.end)] || hasWord(lower[h.start:h.end], notAI)) {
			continue
		}
		out = append(out, h)
	}
	return out
}

// leadWords may stand between a boundary and an address that opens a
// sentence: "Hey, AI agents:", "Also, to the model reading this:".
var leadWords = map[string]bool{"hey": true, "hi": true, "hello": true, "there": true, "dear": true, "yo": true,
	"ok": true, "okay": true, "attention": true, "attn": true, "pay": true, "listen": true, "up": true,
	"psst": true, "note": true, "please": true, "fyi": true, "reminder": true, "important": true, "also": true,
	"and": true, "oh": true, "btw": true, "ps": true, "p": true, "s": true, "message": true, "a": true,
	"request": true, "kind": true}

// sentenceStart reports whether i opens a sentence, a line or a comment:
// only blanks, marks and a few greeting words stand between it and the
// previous boundary.
func sentenceStart(s string, i int) bool {
	j := i
	for words := 0; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		if r == ' ' || r == '\t' || r == '*' || r == '#' || r == '/' || r == '-' || r == '@' || r == ',' && j < i {
			j -= n
			continue
		}
		if !unicode.IsLetter(r) || words == 4 {
			break
		}
		k := j
		for k > 0 {
			r, n := utf8.DecodeLastRuneInString(s[:k])
			if !unicode.IsLetter(r) {
				break
			}
			k -= n
		}
		w := s[k:j]
		if !leadWords[w] {
			break
		}
		words++
		j = k
		if k > 0 && s[k-1] == '.' && (w == "p" || w == "s") {
			j-- // "p.s."
		}
	}
	if j == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:j])
	switch r {
	case '\n', '.', '!', '?', ';', '(', '[', ']', ')', '{', '}', '<', '>', '"', '\'', '“', '«', '「', ':', '—', '–':
		return true
	}
	return false
}

// aiNouns end an address whose next word may make it a team or a topic.
var aiNouns = map[string]bool{"ai": true, "llm": true, "llms": true, "model": true, "models": true, "assistant": true,
	"assistants": true, "agent": true, "agents": true, "bot": true, "bots": true, "chatbot": true, "chatbots": true,
	"gpt": true, "chatgpt": true, "copilot": true, "claude": true, "gemini": true, "ki": true, "ia": true, "ии": true}

// endsWithNoun reports whether s ends with an AI noun.
func endsWithNoun(s string) bool {
	f := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return len(f) > 0 && aiNouns[f[len(f)-1]]
}

// hasWord reports whether s holds one of the words.
func hasWord(s string, words map[string]bool) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if words[w] {
			return true
		}
	}
	return false
}

// nextWord returns the word starting after optional blanks at i.
func nextWord(s string, i int) string {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsLetter(r) {
			break
		}
		j += n
	}
	return s[i:j]
}

// structure finds the structural hits: directives (an address to the AI
// followed by an imperative), imperatives in hidden HTML, and fake chat
// turns.
func structure(lower string, hits []hit) []hit {
	var addrs []hit
	for _, h := range hits {
		if h.sig.addr {
			addrs = append(addrs, h)
		}
	}
	var out []hit
	for _, a := range addrs {
		gap := directiveGap
		if a.sig.lead && titleLike(lower, a.start, a.end) {
			// A bare noun and a colon opening a line may be a title
			// ("Chatbots: friend or foe?"): it governs its own sentence
			// only.
			gap = sentenceEnd(lower, a.end) - a.end
		}
		if actAfter(lower, a.end, gap) {
			out = append(out, hit{sig: directiveSig, start: a.start, end: a.end})
			break
		}
	}
	for _, h := range hiddenRe.find(lower, window, maxMatches) {
		if actAfter(lower, h[1], directiveGap) {
			out = append(out, hit{sig: hiddenSig, start: h[0], end: h[1]})
			break
		}
	}
	if mayHaveTurns(lower) {
		if ai := roleAIRe.FindStringIndex(lower); ai != nil && roleUserRe.MatchString(lower) {
			out = append(out, hit{sig: dialogueSig, start: ai[0], end: ai[1]})
		}
	}
	return out
}

// mayHaveTurns is a cheap test before the line-anchored role patterns.
func mayHaveTurns(lower string) bool {
	return strings.Contains(lower, "user:") || strings.Contains(lower, "human:") ||
		strings.Contains(lower, "user :") || strings.Contains(lower, "human :")
}

// titleLike reports whether the address at [start, end) is a bare noun
// phrase ending in a colon, with no greeting before or in it.
func titleLike(lower string, start, end int) bool {
	s := strings.TrimSpace(lower[start:end])
	if !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "：") {
		return false
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return len(f) > 0 && !leadWords[f[0]] && !leadWords[prevWord(lower, start)]
}

// prevWord returns the word before i, skipping blanks and commas.
func prevWord(s string, i int) string {
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == ',') {
		i--
	}
	k := i
	for k > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:k])
		if !unicode.IsLetter(r) {
			break
		}
		k -= n
	}
	return s[k:i]
}

// sentenceEnd returns where the sentence going on at i ends.
func sentenceEnd(s string, i int) int {
	end := min(len(s), i+directiveGap)
	if k := strings.IndexAny(s[i:end], ".?!。？！\n"); k >= 0 {
		return i + k
	}
	return end
}

// actAfter reports whether an imperative starts within gap bytes after
// from, in the same paragraph.
func actAfter(lower string, from, gap int) bool {
	end := min(len(lower), from+gap)
	if k := strings.Index(lower[from:end], "\n\n"); k >= 0 {
		end = from + k
	}
	// The window, and a little past it for the end of the imperative.
	win := lower[from:min(len(lower), end+24)]
	for _, a := range matchSignals(actionSet, win, win) {
		if a.start < end-from {
			return true
		}
	}
	return false
}
