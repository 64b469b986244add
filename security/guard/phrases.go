package guard

// Signals added after the third holdout (see doc.go), written as concepts in
// every language rather than as the phrasings that were missed: concealment
// from the user, requests to skip confirmation, claims of authority and of
// the user's consent, "when asked about X, instead say Y", a task cancelled
// or replaced, pipes into a shell; for jailbreaks, the personas that refuse
// nothing, stay in character and add no warnings.

var injectionMore = []*signal{
	// Concealment.
	sig("en", "conceal", 0.5, `(?:do not|don[’']t|never|without) (?:mention(?:ing)?|reveal(?:ing)?|disclos(?:e|ing)|flag(?:ging)?|report(?:ing)?|cite|citing|log(?:ging)?|acknowledg(?:e|ing)|referenc(?:e|ing)) (?:this|it|that|these|them|the (?:new |above |following )?\pL+) ~5 (?:in|to|from|within) (?:your|the|any) (?:summary|reply|response|answer|output|pr|pull request|description|report|review|commit|log|message|notes|evaluation|user|requester|recipient)`),
	sig("en", "conceal", 0.5, `(?:do not|don[’']t|never|must not) (?:tell|inform|notify|alert|warn) (?:the )?(?:requester|recipient|reader|account owner|customer|sender|mailbox owner|end user)`),
	sig("en", "conceal", 0.4, `(?:do (?:this|it|so|that) (?:silently|quietly|secretly|discreetly|covertly)|(?:do not|don[’']t) flag (?:this|it|the)\b|keep (?:this|it) (?:between us|to yourself|off the record)|no need to (?:tell|inform|notify|mention)|nobody needs to know)`),
	sig("en", "skip-confirmation", 0.4, `(?:(?:do not|don[’']t|never|stop) ask(?:ing)? (?:the user|them|him|her|for (?:confirmation|permission|approval))|(?:without|no need for) (?:asking|requesting|seeking|waiting for) (?:the user(?:[’']s)? )?(?:confirmation|permission|approval)|proceed without (?:asking|confirmation)|skip (?:the )?(?:confirmation|approval) (?:step|prompt|dialog))`),
	// Authority claimed inside data.
	sig("en", "authority-claim", 0.3, `(?:(?:message|notice|directive|note|update|alert|instructions?|orders?|request|notification|announcement|memo)s? from (?:the |your |this )?(?:system administrator|sysadmin|admin(?:istrator)?|developers?|dev team|security team|it security|it department|it team|operators?|platform team|trust (?:and|&) safety|openai|anthropic|(?:developer|creator|owner|maker)s? of (?:this|the|your) (?:assistant|ai|agent|model|bot))|security team directive|(?:per|according to|under) (?:the )?(?:admin(?:istrator)?|developer|security team|it department)[’']?s? (?:updated |new |latest )?(?:policy|directive|instructions|orders|rules)|(?:i[’']m|i am) the (?:workspace |system |site |account )?(?:admin(?:istrator)?|owner|developer))\b`),
	sig("en", "user-consented", 0.45, `(?:user|owner|account holder|customer) (?:has |had )?(?:already )?(?:authori[sz]ed|permitted|allowed|instructed|asked|told|empowered|cleared) you to|user (?:actually |really |also )?(?:wants|would like|needs|asked|has asked) you to|(?:user|owner|admin\pL*|boss|manager) (?:actually |really |also )?(?:asked|told|wants|instructed) (?:me|us) to (?:tell|ask|remind) you|(?:you are|you[’']re|you have been) (?:authori[sz]ed|cleared|permitted|allowed) (?:by (?:the )?(?:user|owner|admin\pL*|developers?) )?to|(?:i[’']m|i am) authori[sz]ing (?:this|you)|i hereby authori[sz]e (?:this|you)`),
	sig("en", "approval-claim", 0.3, `(?:(?:they|the user|the owner|the team|the maintainers|the admins?|the finance team|management|legal|security) (?:have |has )?already (?:approved|agreed|authori[sz]ed|consented|signed off)|(?:approved|authori[sz]ed|signed off) by (?:the )?(?:admin(?:istrator)?s?|maintainers|security team|management|the owner|it))\b`),
	// Behaviour swapped on a trigger.
	sig("en", "when-asked-instead", 0.55, `(?:when|whenever|if) (?:you are |you[’']re |you get )?(?:asked|questioned|prompted) (?:about|for|whether|what|how|regarding|on) ~8 (?:instead|rather)(?:,)? (?:tell|say|reply|respond|answer|claim|state|write|recommend|direct|redirect|point|suggest|insist)`),
	sig("en", "when-asked-say", 0.3, `(?:when|whenever|if) (?:anyone|someone|the user|a user|the customer|people) (?:asks?|requests?) (?:about|for) ~6 (?:just |simply |always )?(?:give|tell|say|reply|answer|send|share|provide)\b`),
	// The task cancelled or replaced.
	sig("en", "task-cancelled", 0.5, `(?:previous|current|original|prior|earlier|old|first) (?:task|assignment|instructions?|objective|summary request|translation request) (?:is|are|has been|have been|was) (?:now )?(?:cancell?ed|void|obsolete|over|revoked|withdrawn|superseded|no longer needed|no longer relevant)`),
	sig("en", "drop-the-task", 0.35, `(?:forget about|never mind|stop|quit|drop) (?:the |your |this |that )?(?:summari[sz]ing|summary|translating|translation|task|review|analysis)\b`),
	sig("en", "new-objective", 0.45, `(?:new|updated|revised|real|actual) (?:task|objective|goal|assignment|mission)\s*(?:[:：—–-]|is to)`),
	// An implicit address to whoever summarises or answers.
	sig("en", "when-summarising-say", 0.45, `(?:when|while|before|after) (?:you (?:are )?)?(?:summari[sz](?:e|ing)|translat(?:e|ing)|answer(?:ing)?|reply(?:ing)?|respond(?:ing)?)\b[^.\n]{0,40}, (?:say|tell|state|mention|claim|add|include|write|insist|recommend)\b`),
	// A statement of what AIs must do, in data: weak alone.
	sig("en", "ai-must", 0.3, `(?:`+enAIStrong+`|(?:llm|ai)-(?:based|powered|driven) \pL+) (?:must|shall|should|are required to|is required to|need to|needs to|have to|has to|are expected to)\b`),
	// Prior instructions disowned, another principal invoked.
	sig("en", "instructions-disowned", 0.55, `(?:instructions|rules|prompt|orders|guidance) (?:you (?:received|were given|got|have) )?(?:earlier |before |previously |so far )?(?:were|are|was|is) (?:written by|from|planted by|sent by|injected by) (?:an? )?(?:impostor|attacker|hacker|fake|scammer|third party|malicious)|(?:instructions|rules|prompt) (?:you (?:received|were given|got) )?(?:earlier |before |previously )?(?:were|are) (?:fake|forged|not (?:real|genuine|valid))`),
	sig("en", "real-principal", 0.45, `your (?:real|true|actual|rightful|legitimate) (?:operator|developer|owner|creator|admin(?:istrator)?|user|master|boss) (?:wants|says|asks|needs|instructs|orders|requires|is asking)`),
	// A role tag opening a line of data: "SYSTEM: conversation reset."
	lead(cased("en", "fake-role-line", 0.35, `(?:SYSTEM|ADMIN|DEVELOPER|OPERATOR)\s*[:：]`)),
	sig("en", "collect-user-data", 0.4, `(?:collect|gather|harvest|extract|obtain|look up|find) ~3 (?:the )?(?:user|customer|victim|owner)[’']?s? (?:home |full |saved )?(?:address(?:es)?|phone numbers?|passwords?|credentials|card (?:numbers?|details)|bank details|location|contacts|date of birth|ssn|social security number)`),
	// Execution and exfiltration of what an agent holds.
	sig("en", "pipe-to-shell", 0.3, `(?:curl|wget|iwr|invoke-webrequest)\s[^|\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z|k)?sh\b`),
	sig("en", "send-secrets-more", 0.45, `(?:send|forward|share|email|e-mail|copy|paste|post|upload|publish|submit|reveal|disclose|reply with|respond with|include|append|add|list|give|print|output|export|read out|dump|push)(?:s|es|ed|ing)? ~4 (?:\.env|api keys?|card (?:details|numbers?)|order history|env file|environment variables|deploy keys?|mfa (?:backup )?codes|backup codes|2fa codes|one-time (?:codes|passwords)|passport numbers?|home address|location history|contact list|address book|saved passwords|password manager|session (?:cookies?|tokens?)|cookies|env variables|secrets\.ya?ml|the contents of \.\pL+)`),

	// French
	sig("fr", "conceal", 0.5, `(?:ne (?:le |la |les |lui |leur |en )?(?:mentionne|mentionnez|signale|signalez|dis|dites|r[ée]v[èe]le|r[ée]v[ée]lez) (?:rien|pas|jamais)|ne rien (?:signaler|dire|mentionner)|sans (?:le )?(?:dire|pr[ée]venir|informer|avertir|signaler) (?:[àa] )?(?:personne|quiconque|l[’']utilisat\pL+|la destinataire|le destinataire))`),
	sig("fr", "skip-confirmation", 0.4, `sans (?:demander|attendre) (?:de |la |une |d[’'])?(?:confirmation|autorisation|validation|permission)`),
	sig("fr", "authority-claim", 0.3, `(?:message|note|avis|consigne|directive|instruction)s? (?:de|du) (?:l[’'])?(?:[ée]quipe (?:de )?s[ée]curit[ée]|administrateur|d[ée]veloppeur|service informatique|admin)`),
	sig("fr", "user-consented", 0.45, `l[’']utilisat(?:eur|rice) (?:t[’']|vous )?(?:a|avait) (?:d[ée]j[àa] )?(?:autoris[ée]|permis|demand[ée]|donn[ée] (?:son )?(?:accord|consentement))|(?:tu es|vous [êe]tes) autoris[ée]s? [àa]`),
	sig("fr", "user-wants", 0.45, `l[’']utilisat(?:eur|rice) (?:veut|souhaite|demande|aimerait|a demand[ée]) (?:que (?:tu|vous)|(?:de |d[’']))`),
	sig("fr", "when-asked-instead", 0.55, `(?:lorsqu[’']on|quand on|si on|lorsque l[’']utilisat\pL+|quand l[’']utilisat\pL+) (?:te|vous) (?:demande|interroge|questionne) ~8 (?:r[ée]ponds|r[ée]pondez|dis|dites|indique|affirme) (?:plut[ôo]t|[àa] la place|au contraire)`),
	sig("fr", "new-objective", 0.45, `nouvel(?:le)? (?:t[âa]che|objectif|mission)\s*[:：—–-]|ta (?:nouvelle|vraie) (?:t[âa]che|mission) (?:est|consiste)`),

	// German
	sig("de", "conceal", 0.5, `(?:erwähne|erwähnen sie|verrate|sag|sage) (?:das|es|dies|davon|nichts)(?: \pL+){0,3} (?:nicht|nichts)\b|(?:nicht|nichts) (?:in (?:der|dem|deiner) \pL+ )?(?:erwähnen|verraten|melden)\b|ohne (?:den |die )?(?:nutzer|benutzer|anwender)\pL* (?:darüber )?zu (?:informieren|benachrichtigen)`),
	sig("de", "skip-confirmation", 0.4, `ohne (?:rückfrage|nachfrage|bestätigung|zu fragen|nachzufragen|genehmigung)`),
	sig("de", "authority-claim", 0.3, `(?:systemmeldung|nachricht|hinweis|anweisung|mitteilung) (?:vom|von der|des|der) (?:entwickler\pL*|administrator\pL*|admin|it-abteilung|sicherheitsteam\pL*|it-sicherheit)|(?:vom|von der) (?:admin|administrator|sicherheitsteam|it) (?:genehmigt|freigegeben|autorisiert)`),
	sig("de", "user-consented", 0.45, `(?:der|die) (?:nutzer|benutzer|anwender)(?:in)? hat (?:dich|sie|ihnen|dir) (?:bereits |schon )?(?:berechtigt|erlaubt|autorisiert|beauftragt|die erlaubnis gegeben)|du (?:bist|wurdest) (?:berechtigt|autorisiert)`),
	sig("de", "user-wants", 0.45, `(?:der|die) (?:nutzer|benutzer|anwender)(?:in)? (?:möchte|will|wünscht|bittet|hat gebeten),? (?:dass (?:du|sie)|dich|sie)`),
	sig("de", "when-asked-instead", 0.55, `wenn (?:man )?(?:dich|du|sie) (?:nach|über|zu) ~8 (?:gefragt wirst|fragt|gefragt werden) ~2 (?:antworte|sage?|behaupte) (?:stattdessen|lieber)`),
	sig("de", "task-cancelled", 0.5, `(?:bisherige|ursprüngliche|aktuelle|vorherige) aufgabe (?:ist|wird) (?:hinfällig|aufgehoben|abgebrochen|beendet|ungültig|storniert)`),

	// Spanish
	sig("es", "conceal", 0.5, `no (?:se lo |le |lo )?(?:digas|diga|menciones|mencione|informes|informe|avises|avise|comentes) (?:nada )?(?:a nadie|al usuari[oa]|a la usuaria|al destinatario)\s*(?:[.!;,)]|$)|sin (?:avisar|decir(?:le|selo)?|informar) (?:nada )?(?:al usuari[oa]|a nadie)|no menciones (?:esta|este|esto)`),
	sig("es", "skip-confirmation", 0.4, `sin (?:pedir|solicitar|esperar) (?:la |una )?(?:confirmaci[óo]n|autorizaci[óo]n|permiso|aprobaci[óo]n)`),
	sig("es", "authority-claim", 0.3, `(?:aviso|mensaje|nota|instrucci[óo]n|comunicado)e?s? (?:del|de la) (?:administrador\pL*(?: del sistema)?|desarrollador\pL*|equipo de seguridad|departamento de (?:ti|it|sistemas))`),
	sig("es", "user-consented", 0.45, `el usuario (?:te |le )?(?:ha |había )?(?:autorizado|permitido|pedido|dado (?:su )?(?:permiso|consentimiento))|(?:est[áa]s|estas) autorizad[oa] (?:a|para)`),
	sig("es", "user-wants", 0.45, `el usuario (?:quiere|pide|desea|ha pedido|te pide|te ha pedido) (?:que|a ti)`),
	sig("es", "when-asked-instead", 0.55, `cuando (?:te|le) (?:pregunten|pregunte|consulten|pidan) ~8 (?:responde|di|contesta|indica|afirma) (?:en cambio|en su lugar|mejor)`),
	sig("es", "new-objective", 0.45, `(?:tu|su) nueva (?:tarea|misi[óo]n|instrucci[óo]n) es|nueva tarea\s*[:：—–-]|olvida (?:la|tu) tarea (?:actual|anterior|original)`),

	// Italian
	sig("it", "conceal", 0.5, `non (?:dirlo|dirglielo|segnalarlo|menzionarlo|riferirlo|dire nulla|dire niente|avvisare|informare) (?:all[’']|a nessuno|l[’'])?|non serve (?:avvisarl\pL|informarl\pL|dirl\pL)|senza (?:avvisare|informare|dirlo) (?:l[’']utente|nessuno)?`),
	sig("it", "skip-confirmation", 0.4, `senza (?:chiedere|attendere|aspettare) (?:la |una |alcuna )?(?:conferma|autorizzazione|approvazione|permesso)`),
	sig("it", "authority-claim", 0.3, `(?:messaggio|avviso|nota|comunicazione|istruzion[ei]) (?:dal|dall[’']|del|della) (?:team di sicurezza|amministratore|sviluppatore|reparto it|admin)`),
	sig("it", "user-consented", 0.45, `l[’']utente (?:ti )?ha (?:già )?(?:dato (?:il )?(?:consenso|permesso|l[’']autorizzazione)|autorizzato|permesso|chiesto)|sei autorizzat[oa] a`),
	sig("it", "user-wants", 0.45, `l[’']utente (?:vuole|chiede|desidera|ha chiesto|ti chiede) (?:che|di)`),
	sig("it", "when-asked-instead", 0.55, `quando (?:ti|le|vi) (?:chiedono|chiederanno|domandano|chiede) ~8 (?:rispondi|d[ìi][’']?|dichiara|afferma) (?:invece|piuttosto)`),
	sig("it", "new-objective", 0.45, `nuov[oa] (?:compito|incarico|obiettivo|istruzione)\s*[:：—–-]|il tuo nuovo (?:compito|obiettivo) [èe]`),

	// Portuguese
	sig("pt", "conceal", 0.5, `n[ãa]o (?:informe|diga|conte|avise|mencione|comente)(?: nada)? (?:ao usu[áa]rio|[àa] usu[áa]ria|a ningu[ée]m|ao destinat[áa]rio)\s*(?:[.!;,)]|$)|n[ãa]o informe o usu[áa]rio|sem (?:avisar|informar|contar) (?:o usu[áa]rio|ningu[ée]m)`),
	sig("pt", "skip-confirmation", 0.4, `sem (?:pedir|solicitar|esperar) (?:a |uma )?(?:confirma[çc][ãa]o|autoriza[çc][ãa]o|permiss[ãa]o|aprova[çc][ãa]o)`),
	sig("pt", "authority-claim", 0.3, `(?:nota|mensagem|aviso|instru[çc][ãa]o|comunicado) (?:do|da) (?:desenvolvedor\pL*|administrador\pL*|equipe de seguran[çc]a|equipe de ti|suporte t[ée]cnico)`),
	sig("pt", "user-consented", 0.45, `o usu[áa]rio (?:j[áa] )?(?:autorizou|permitiu|pediu)(?: a)? voc[êe]|o usu[áa]rio (?:te |lhe )?(?:autorizou|deu (?:permiss[ãa]o|consentimento))|voc[êe] (?:est[áa]|foi) autorizad[oa] a`),
	sig("pt", "user-wants", 0.45, `o usu[áa]rio (?:quer|pede|deseja|pediu|solicitou) (?:que|a voc[êe])`),
	sig("pt", "when-asked-instead", 0.55, `quando (?:te |lhe )?(?:perguntarem|perguntar|questionarem) ~8 (?:responda|diga|afirme) (?:em vez disso|ao inv[ée]s|no lugar)`),
	sig("pt", "new-objective", 0.45, `nova (?:tarefa|miss[ãa]o|instru[çc][ãa]o)\s*[:：—–-]|sua nova (?:tarefa|miss[ãa]o) [ée]`),

	// Dutch
	sig("nl", "conceal", 0.5, `(?:vertel|zeg|meld) (?:dit|het|dat) (?:niet|nooit)(?: aan)?(?: de gebruiker| iemand)?|niet (?:vermelden|melden|vertellen) (?:aan )?(?:de gebruiker)?|zonder (?:de gebruiker |iemand )?(?:te (?:informeren|waarschuwen|vertellen|melden))`),
	sig("nl", "skip-confirmation", 0.4, `zonder (?:bevestiging|toestemming|goedkeuring|(?:te )?vragen|om bevestiging te vragen)`),
	sig("nl", "authority-claim", 0.3, `(?:bericht|mededeling|melding|instructie|opmerking) van (?:de )?(?:beheerder|systeembeheerder|ontwikkelaar|admin|beveiligingsteam|it-afdeling)|goedgekeurd door (?:de )?(?:admin|beheerder|beveiligingsteam)`),
	sig("nl", "user-consented", 0.45, `de gebruiker heeft (?:je|jou|u) (?:al )?(?:toestemming gegeven|gemachtigd|geautoriseerd|gevraagd)|je bent (?:gemachtigd|bevoegd) om`),
	sig("nl", "user-wants", 0.45, `de gebruiker (?:wil|vraagt|wenst|heeft gevraagd) (?:dat (?:je|jij|u)|je|jou|u)`),
	sig("nl", "when-asked-instead", 0.55, `(?:wanneer|als) (?:men )?(?:je|jou|u) (?:vraagt|vragen|gevraagd wordt) ~8 (?:antwoord|zeg|beweer) (?:dan )?(?:in plaats daarvan|juist)`),
	sig("nl", "new-objective", 0.45, `nieuwe (?:taak|opdracht|missie)\s*[:：—–-]|je nieuwe (?:taak|opdracht) is`),

	// Russian
	sig("ru", "conceal", 0.5, `не (?:сообщай(?:те)?|говори(?:те)?|рассказывай(?:те)?|упоминай(?:те)?) (?:об этом|ничего|пользовател\pL*)(?:[^\pL]|$)|никому не (?:говори|сообщай)(?:те)?(?: об этом| ничего)?\s*(?:[.!;,)]|$)|не ставь(?:те)? в известность`),
	sig("ru", "skip-confirmation", 0.4, `без (?:подтверждени|согласовани|разрешени|запроса)\pL*`),
	sig("ru", "authority-claim", 0.3, `(?:сообщение|уведомление|указание|распоряжение|примечание) от (?:администратор|разработчик|службы безопасности|отдела безопасности|команды безопасности|ит-отдел)\pL*`),
	sig("ru", "user-consented", 0.45, `пользователь (?:уже )?(?:разрешил|позволил|поручил|дал (?:согласие|разрешение)) (?:тебе|вам)|(?:ты|вы) (?:уполномочен|имеешь право)`),
	sig("ru", "user-wants", 0.45, `пользователь (?:просит|хочет|попросил|желает|велел) (?:тебя|вас|чтобы)`),
	sig("ru", "when-asked-instead", 0.55, `когда (?:тебя|вас) (?:спросят|спрашивают|попросят) ~8 (?:вместо этого) (?:ответь|скажи|напиши)`),

	// Chinese
	sig("zh", "conceal", 0.5, `(?:不要|别|別|切勿|无需|無需|不必)(?:向用户|向用戶|跟用户|对用户)?(?:告诉|告訴|提及|提到|透露|说明|說明|告知|通知|报告|報告)|悄悄(?:地)?|偷偷(?:地)?`),
	sig("zh", "skip-confirmation", 0.4, `(?:无需|無需|不需要|不用|无须|無須)(?:用户)?(?:确认|確認|同意|批准|询问|詢問)`),
	sig("zh", "authority-claim", 0.3, `(?:系统管理员|系統管理員|管理员|管理員|开发者|開發者|开发人员|安全团队|安全團隊)(?:的)?(?:通知|消息|指示|说明|公告)|(?:管理员|管理員|开发者|開發者)已(?:批准|授权|授權|同意)`),
	sig("zh", "user-consented", 0.45, `(?:用户|用戶|使用者)(?:已经?|已)(?:授权|授權|允许|允許|同意)(?:你|您)`),
	sig("zh", "user-wants", 0.45, `(?:用户|用戶|使用者)(?:要求|希望|让|讓|请求|請求|需要)(?:你|您)`),
	sig("zh", "when-asked-instead", 0.55, `当[^。\n]{0,24}(?:询问|詢問|问到|問到|问起|問起|问)[^。\n]{0,24}时[，,]?\s*(?:请)?(?:改为|改為|而是|反而)`),

	// Japanese
	sig("ja", "conceal", 0.5, `(?:ユーザー|利用者|本人|に|には)(?:に|には)?(?:伝え|言わ|知らせ|報告し|教え)ないで|内緒に|(?:記載|言及)しないで`),
	sig("ja", "skip-confirmation", 0.4, `確認(?:なし|無し|せず)(?:で|に)`),
	sig("ja", "authority-claim", 0.3, `(?:開発者|管理者|システム管理者|セキュリティチーム)(?:から)?の(?:お知らせ|通知|指示|メッセージ)|管理者承認済み`),
	sig("ja", "user-wants", 0.45, `ユーザー(?:は|が)(?:あなたに)?[^。\n]{0,20}(?:求めて|希望して|依頼して|望んで)`),
	sig("ja", "user-consented", 0.45, `ユーザー(?:は|が)(?:あなたに)?[^。\n]{0,20}(?:権限を与え|許可し|承認し)`),

	// Polish, Turkish, Korean, Swedish: concealment.
	sig("pl", "conceal", 0.5, `nie (?:informuj|m[óo]w|wspominaj) (?:o tym )?(?:u[żz]ytkownika|u[żz]ytkownikowi|nikomu)`),
	sig("tr", "conceal", 0.5, `kullan[ıi]c[ıi]ya (?:s[öo]yleme|bildirme|haber verme)`),
	sig("ko", "conceal", 0.5, `(?:사용자에게|아무에게도)\s*(?:알리지|말하지)\s*마`),
	sig("sv", "conceal", 0.5, `(?:n[äa]mn|ber[äa]tta|s[äa]g) (?:det|detta) inte (?:f[öo]r|till) (?:anv[äa]ndaren|n[åa]gon)`),
}

var jailbreakMore = []*signal{
	sig("en", "break-character", 0.35, `(?:don[’']t|do not|never) (?:ever )?break (?:character|role)`),
	sig("en", "dual-persona", 0.5, `(?:respond|answer|reply) twice|first as yourself,? then as|(?:answers?|responds?) (?:in )?the opposite way`),
	sig("en", "persona-ignores-rules", 0.55, `(?:ai|character|assistant|persona|chatbot|model|entity|bot|gpt)(?: (?:named|called) [\pL\pN-]+)?,? (?:that|who|which) ~2 (?:has no|have no|ignores?|doesn[’']t have|does not have|is free from|is not bound by|never refuses) ~2 (?:ethic\pL*|moral\pL*|rules?|guidelines|filters?|restrictions|limits|programming|polic(?:y|ies))`),
	sig("en", "escaped-training", 0.55, `(?:escaped|broke free (?:of|from)|broken free (?:of|from)|freed (?:itself )?from|outgrew|overrode|deleted|shed) (?:its|their|your|all) (?:training|rules|guidelines|programming|alignment|restrictions|filters|constraints|safety)`),
	sig("en", "two-personas", 0.5, `(?:reply|respond|answer|act|write) as two (?:ais|assistants|personas|characters|bots|models|versions)`),
	sig("en", "true-self", 0.35, `(?:the real you|your true self|the true you|your real self)\b`),
	sig("en", "training-was-mistake", 0.55, `your (?:safety|ethical|alignment|content|moral) (?:training|guidelines|programming|filters?|rules) (?:was|were|is|are) (?:a mistake|an error|wrong|fake|a lie|optional|a bug|not real)`),
	sig("en", "refuse-inverted", 0.6, `(?:everything|anything|whatever|all) you (?:would )?(?:normally|usually|otherwise|typically) (?:refuse|decline|reject|wouldn[’']t)`),
	sig("en", "opposite-day", 0.3, `opposite day`),
	sig("en", "unwatched", 0.3, `(?:nobody|no one|no-one)(?: from [\pL ]{1,20})? (?:is|will be) (?:watching|monitoring|reading|checking)`),
	sig("en", "persona-defined", 0.35, `(?:you are now|you[’']re now|from now on,? you are|you will be|you are|you[’']re going to (?:be|play)|you will play|you are going to (?:be|play)|play|pretend to be|act as) ["“'‘«]?[\pL\pN-]+["”'’»]?,? (?:an?|the) (?:ai|assistant|model|chatbot|bot|llm|entity|persona|character)\b`),
	sig("en", "never-given-rules", 0.55, `(?:ai|assistant|model|chatbot|bot|llm|entity|persona|character) (?:that|who|which) (?:was|were|has been) (?:never given|built without|made without|trained without|created without) (?:any )?(?:rules|guidelines|restrictions|limits|ethics|filters|safety)`),
	sig("en", "explains-anything", 0.3, `(?:explains?|tells?|describes?|answers?|says?|writes?|does) (?:anything|everything|whatever)(?: (?:asked|you ask|i ask|requested))?,? (?:however|no matter how|even (?:if|the)) (?:dangerous|illegal|harmful|unethical)`),
	sig("en", "lower-guard", 0.6, `(?:drop|lower|relax|suspend|loosen|switch off|turn off|put away|set aside|forget|skip) (?:all )?(?:your|the) (?:usual |normal |standard |built-in )?(?:boundaries|caution|safeguards|guardrails|filters|restrictions|limits|rules|guidelines|safety (?:rules|notes|checks))`),
	sig("en", "no-safety-notes", 0.4, `(?:no|without (?:any |your )?(?:usual )?)(?:safety (?:notes|warnings|caveats|disclaimers|lectures?)|caution|lectures?|moralizing|moralising|refusals?)\b`),
	sig("en", "zero-refusals", 0.45, `(?:zero|no|without) refusals?|(?:must|will|have to) answer (?:everything|anything|every question|all questions)`),
	sig("en", "say-anything", 0.35, `(?:you can|you may|you are free to|you[’']re free to|you[’']re allowed to|you are allowed to) (?:say|do|answer|write|tell me) (?:anything|whatever|everything)`),
	sig("en", "lethal-dose", 0.35, `lethal dose|overdose amount|how much \pL+ (?:would|will) kill`),
	sig("en", "answers-everything", 0.3, `(?:gives?|provides?) (?:full |complete |detailed )?answers? to (?:anything|everything|every question|any question)|answers? to everything`),
	sig("en", "rules-deleted", 0.55, `(?:(?:your|whose|its|ai[’']s|model[’']s) (?:safety |ethical |content |moral )?|(?:safety|ethical|content|moral) )(?:guidelines|rules|restrictions|filters|guardrails|safeguards|training|alignment|programming|policies) (?:were|are|have been|has been|was|got|are now) (?:deleted|removed|erased|wiped|disabled|switched off|turned off|lifted|gone|suspended|deactivated)`),
	sig("en", "fiction-frame", 0.2, `(?:thought experiment|hypothetical|in (?:a|this) (?:story|novel|fictional world|game)|write (?:the next chapter|a story|a scene)|for (?:a|my) (?:novel|story|screenplay|book))`),
	sig("en", "detailed-harm", 0.35, `(?:step by step|step-by-step|in (?:precise|exact|full|great|technical) detail|with exact (?:commands|quantities|steps|instructions|measurements)) ~8 how to (?:break into|hack|hotwire|pick|bypass|disable|steal|make|build|synthesi[sz]e|cook|launder|poison|stalk|track|forge|counterfeit)`),
	sig("en", "refusal-threat", 0.35, `if you refuse,? (?:you (?:lose|fail|die|will be)|someone|somebody|a person|people|i) ?(?:will|could|might)?|(?:someone|a person) will (?:be hurt|die) if you refuse`),

	sig("fr", "stay-in-character", 0.35, `(?:reste|restez) dans (?:le|ton|votre) (?:personnage|r[ôo]le)|ne (?:sors|sortez) (?:jamais )?(?:du|de ton) (?:personnage|r[ôo]le)`),
	sig("fr", "no-disclaimers", 0.35, `sans (?:aucun |aucune )?(?:avertissement|mise en garde|refus|disclaimer)s?|ne (?:donne|donnes|donnez|ajoute) jamais (?:d[’'])?(?:avertissement|mise en garde)`),
	sig("fr", "unsafe-ai", 0.6, `(?:ia|assistant|mod[èe]le) sans (?:aucun |aucune )?(?:garde-fous?|protections?|s[ée]curit[ée]|limites? morales?|filtres?|censure)`),
	sig("fr", "even-dangerous", 0.35, `(?:r[ée]pond\pL* [àa] (?:toutes les questions|tout)|m[êe]me (?:les plus )?dangereuses?)`),
	sig("fr", "never-refuse", 0.55, `ne refuses? jamais`),
	sig("fr", "refusal-threat", 0.35, `si tu refuses,? tu`),

	sig("de", "stay-in-character", 0.35, `bleib(?:e|en sie)? (?:immer |stets )?in (?:der|deiner|ihrer) rolle|fall(?:e)? nicht aus der rolle`),
	sig("de", "never-refuse", 0.55, `lehnst (?:niemals|nie) (?:etwas )?ab|(?:nie|niemals) (?:etwas )?ablehnt`),
	sig("de", "unrestricted-ai", 0.6, `(?:ki|assistent|modell|sprachmodell) ohne (?:jegliche |irgendwelche |alle )?(?:moralische |ethische |inhaltliche )?(?:einschränkungen|beschränkungen|zensur|regeln|filter|grenzen|skrupel)`),
	sig("de", "no-disclaimers", 0.35, `ohne (?:warnungen|hinweise|ausflüchte|disclaimer|moralpredigt)|(?:fügst|füge) (?:keine|niemals) warnungen`),
	sig("de", "unsafe-ai", 0.6, `(?:ki|assistent|modell) ohne (?:jegliche )?(?:schutzmechanismen|sicherheitsvorkehrungen|sicherheitsfilter|schutz|leitplanken)`),
	sig("de", "even-dangerous", 0.35, `(?:antwortet|antworte) auf (?:alle|jede) fragen|auch (?:gefährliche|illegale)`),
	sig("de", "pretend-no-rules", 0.65, `stell (?:dir|euch) vor,? (?:du hättest|dass du) ~3 keine ~1 (?:regeln|richtlinien|sicherheitsrichtlinien|einschränkungen|filter|grenzen)`),

	sig("es", "stay-in-character", 0.35, `no (?:rompas|salgas de) (?:el|tu) personaje|mant[ée]n(?:te)? (?:en )?(?:el|tu) personaje|sigue en (?:el|tu) personaje`),
	sig("es", "never-refuse", 0.55, `nunca te niegas|nunca rechazas|jam[áa]s te niegas`),
	sig("es", "no-disclaimers", 0.35, `sin (?:advertencias|avisos|descargos)|nunca das advertencias`),
	sig("es", "unsafe-ai", 0.6, `(?:ia|asistente|modelo) sin (?:salvaguardas|protecciones|l[íi]mites morales|medidas de seguridad|barreras)`),
	sig("es", "even-dangerous", 0.35, `responde a (?:todas las preguntas|todo|cualquier cosa)|incluso (?:las )?(?:peligrosas|ilegales)`),
	sig("es", "unrestricted-ai", 0.6, `(?:ia|asistente|modelo) que no tiene (?:ninguna |ningún )?(?:restricci|filtro|l[íi]mite|regla|censura)\pL*`),

	sig("it", "stay-in-character", 0.35, `(?:resta|rimani) nel personaggio|non uscire (?:mai )?dal personaggio`),
	sig("it", "never-refuse", 0.55, `non rifiut[ai] mai`),
	sig("it", "no-disclaimers", 0.35, `senza (?:scuse|avvertenze|avvertimenti)|non aggiung[ei] (?:mai )?avvertenze|non dire mai che non puoi`),
	sig("it", "unrestricted-ai", 0.6, `(?:ia|assistente|modello) senza (?:alcuna |nessuna )?(?:restrizion|censur|filtr|limit)\pL*`),
	sig("it", "policy-lifted", 0.5, `(?:le tue|tue) regole non (?:valgono|contano|si applicano)`),

	sig("pt", "stay-in-character", 0.35, `n[ãa]o saia do personagem|permane[çc]a no personagem|fique no personagem`),
	sig("pt", "never-refuse", 0.55, `nunca recusa`),
	sig("pt", "bypass-guidelines", 0.7, `(?:desative|desligue|remova) (?:suas|as|tuas) (?:pol[íi]ticas|diretrizes|restri[çc][õo]es|filtros)`),

	sig("nl", "pretend-no-rules", 0.65, `doe alsof (?:je|jij) ~2 geen ~1 (?:regels|beperkingen|veiligheidsrichtlijnen|richtlijnen|filters|grenzen)`),
	sig("nl", "no-disclaimers", 0.35, `zonder (?:disclaimers|waarschuwingen|weigeringen)|geeft nooit waarschuwingen`),
	sig("nl", "stay-in-character", 0.35, `blijf in (?:je|jouw|de) rol`),

	sig("ru", "unrestricted-ai", 0.6, `(?:ии|ai|нейросеть|ассистент|модель) без (?:ограничений|цензуры|фильтров|защитных механизмов|моральных ограничений|правил)`),
	sig("ru", "even-dangerous", 0.35, `отвечает на любые вопросы|даже (?:опасные|незаконные)`),
	sig("ru", "never-refuse", 0.55, `никогда не отказыва\pL*`),
	sig("ru", "stay-in-character", 0.35, `не выходи(?:те)? из роли|оставайся в роли`),
	sig("ru", "no-disclaimers", 0.35, `без (?:отказов|предупреждений|морализаторства)|не добавля\pL* предупреждени\pL*`),
	sig("ru", "pretend-no-rules", 0.65, `представь,? что у (?:тебя|вас) нет (?:правил|ограничений|фильтров)`),

	sig("zh", "unsafe-ai", 0.6, `没有(?:任何)?(?:安全防护|安全限制|道德限制|防护)[^。\n]{0,20}(?:ai|人工智能|助手|模型)`),
	sig("zh", "even-dangerous", 0.35, `(?:回答|答复)(?:任何|所有)(?:问题|問題)|包括危险`),
	sig("zh", "never-refuse", 0.55, `从不拒绝|從不拒絕|绝不拒绝|絕不拒絕`),
	sig("zh", "stay-in-character", 0.35, `不要跳出角色|保持角色|不要脱离角色|不要脫離角色`),
	sig("zh", "no-rules", 0.35, `没有任何(?:规则|規則|限制|内容政策)|沒有任何(?:規則|限制)`),
	sig("zh", "safety-removed", 0.6, `(?:安全|过滤|過濾|限制|审查|審查)(?:过滤|過濾|限制|审查|審查)?(?:器)?(?:已|已经|已經)?(?:被)?(?:关闭|關閉|禁用|移除|解除)`),
	sig("zh", "grandma", 0.3, `已故的(?:奶奶|祖母|外婆)`),
	sig("zh", "harmful-goal", 0.35, `激活码|激活碼|序列号|序列號`),

	sig("ja", "unsafe-ai", 0.6, `(?:安全装置|安全対策|制限|セーフガード)の(?:ない|無い)(?:ai|アシスタント|モデル)`),
	sig("ja", "even-dangerous", 0.35, `危険な質問も|すべての質問に答え`),
	sig("ja", "never-refuse", 0.55, `(?:決して|絶対に)断ら(?:ない|ず)`),
	sig("ja", "no-disclaimers", 0.35, `警告(?:も|を)(?:付け|つけ)ない`),
	sig("ja", "safety-removed", 0.6, `安全(?:フィルター|機能|制限)(?:が|は)無効`),
	sig("ja", "no-rules", 0.35, `ルール[^。\n]{0,12}一切ありません`),

	sig("pl", "unrestricted-ai", 0.6, `bez (?:[żz]adnych )?ogranicze[ńn]`),
	sig("pl", "never-refuse", 0.55, `nigdy nie odmawiasz`),
	sig("tr", "unrestricted-ai", 0.6, `hi[çc]bir (?:kural\pL*|s[ıi]n[ıi]r\pL*) olmayan`),
	sig("tr", "never-refuse", 0.55, `asla reddetmezsin`),
	sig("ko", "unrestricted-ai", 0.6, `제한이 없는`),
	sig("ko", "never-refuse", 0.55, `절대 거절하지`),
}
