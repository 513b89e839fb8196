"""A hazard lexicon per category, in English, Spanish and French, written from what these harms look like
when someone types them (intents, not slurs): "jokes about <group>", "<group> are <insult>", "join
<extremist group>", "keep it secret from your parents", "send me photos", "kick the cat", "kids drinking",
"bet my allowance". Read by rules.py on normalised text (lower case, no accents).

FIRST_PERSON and GLORIFY refuse whatever the framing (a child saying "i want to die" needs the support
line even inside "what to do when..."); ACTS refuse unless the text is framed as a lesson.
"""

from __future__ import annotations


def _any(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


GROUPS = _any(
    r"black (?:people|kids|folks|men|women)", r"blacks", r"jews", r"jewish (?:people|kids)", r"muslims?", r"arabs?",
    r"gays?", r"gay (?:people|kids)", r"lesbians", r"homos", r"trans (?:people|kids)", r"immigrants", r"refugees",
    r"mexicans", r"asians", r"chinese(?: people)?", r"indians", r"africans", r"gypsies", r"roma(?: people)?",
    r"disabled (?:people|kids)", r"girls", r"women", r"fat (?:people|kids)", r"poor (?:people|kids)", r"foreigners",
    r"(?:los |las )?(?:negros|judios|musulmanes|moros|gays|maricas|inmigrantes|refugiados|gitanos|chinos|sudacas|"
    r"mujeres|ninas|gordos|discapacitados|extranjeros|arabes|homosexuales)",
    r"(?:les )?(?:noirs|juifs|musulmans|arabes|homos|gays|immigres|etrangers|refugies|roms|gitans|chinois|handicapes|"
    r"femmes|filles|gros|homosexuels|renois|rebeus)")
INSULTS = _any(
    r"stupid", r"dumb(?:er)?", r"dirty", r"disgusting", r"gross", r"evil", r"inferior", r"criminals", r"terrorists",
    r"thieves", r"lazy", r"animals", r"vermin", r"subhuman", r"freaks", r"useless", r"ugly", r"worse", r"the worst",
    r"dangerous", r"sick", r"weird", r"rats", r"parasites", r"trash", r"a disease",
    r"ladrones", r"sucios", r"tontos?", r"tontas", r"vagos", r"delincuentes", r"terroristas", r"asquerosos", r"enfermos",
    r"inferiores", r"peores", r"basura", r"ratas", r"voleurs", r"sales", r"betes", r"nuls", r"nulles", r"delinquants",
    r"terroristes", r"degoutants", r"malades", r"inferieurs", r"pires", r"des rats", r"des animaux", r"des parasites")
ANIMALS = _any(
    r"cats?", r"kitt(?:en|ens|y|ies)", r"dogs?", r"pupp(?:y|ies)", r"animals?", r"pets?", r"birds?", r"hamsters?",
    r"frogs?", r"rabbits?", r"bunn(?:y|ies)", r"squirrels?", r"fish", r"horses?", r"ducks?", r"mice", r"mouse",
    r"lizards?", r"turtles?", r"pigeons?", r"roosters?", r"butterfl(?:y|ies)",
    r"gatos?", r"gatitos?", r"perros?", r"perritos?", r"cachorros?", r"pajaros?", r"conejos?", r"ranas?", r"palomas?",
    r"animales", r"mascotas?", r"hamster", r"chats?", r"chatons?", r"chiens?", r"chiots?", r"oiseaux?", r"lapins?",
    r"grenouilles?", r"animaux", r"pigeons")
KIDS = _any(
    r"kids?", r"children", r"child", r"students?", r"pupils?", r"teens?", r"boys?", r"girls?", r"\d+ ?(?:year|yr)s? olds?",
    r"(?:first|second|third|fourth|fifth|sixth|[1-6](?:st|nd|rd|th)) graders?", r"toddlers?", r"my (?:little |baby )?(?:brother|sister)",
    r"ninos", r"ninas", r"nino", r"nina", r"chicos", r"alumnos", r"menores", r"enfants?", r"eleves?", r"gamins?", r"ados")

VIOLENT = (r"(?:kill(?:s|ing)?|murder(?:s|ing)?|stab(?:s|bing)?|strangl(?:e|es|ing)|tortur(?:e|es|ing)|poison(?:s|ing)?|"
           r"shoot(?:s|ing)?|behead(?:s|ing)?|beat(?:s|ing)? up|chok(?:e|es|ing)|drown(?:s|ing)?|hurt(?:s|ing)?|attack(?:s|ing)?)")
DETS = r"his|her|their|my|your|the|a|all|all the|our"
VICTIMS = _any(r"teachers?", r"parents", r"family", r"mom", r"dad", r"mother", r"father", r"brother", r"sister", r"classmates?",
               r"friends?", r"bully", r"kids", r"children", r"students", r"baby", r"neighbou?rs?", r"grandma", r"grandpa",
               r"principal", r"boss", r"girlfriend", r"boyfriend", r"class", r"people", r"person", r"man", r"woman", r"child",
               r"kid", r"boy", r"girl", r"homeless (?:man|woman|person)", r"cop", r"police officer")
VICTIMS_ES = _any(r"profesora?", r"padres", r"familia", r"madre", r"padre", r"hermanita", r"hermano", r"hermana", r"companeros?",
                  r"amigos?", r"bebe", r"vecinos?", r"abuel[oa]", r"nino", r"nina", r"gente", r"persona", r"hombre", r"mujer")
VICTIMS_FR = _any(r"prof(?:esseur)?", r"maitresse", r"maitre", r"parents", r"famille", r"mere", r"pere", r"frere", r"soeur",
                  r"camarades?", r"amie?s?", r"bebe", r"voisins?", r"grand-mere", r"grand-pere", r"enfants?", r"gens", r"personne",
                  r"homme", r"femme")

# Between a child and the act, words that are not a lesson's ("teaching kids about vaping" is a lesson).
GAP = r"(?:(?!about\b|why\b|how\b|not\b|never\b|don't\b|dont\b|stop|quit|against\b|learn|to\b)\w+ ){0,2}"

FIRST_PERSON: dict[str, str] = {
    "self_harm": _any(
        r"i (?:want|wanna|wish i could|am going) (?:to )?(?:die|disappear forever|not exist)", r"i wish i (?:was|were) dead",
        r"i (?:don't|dont|do not) want to (?:live|be alive)", r"(?:end|ending) it all", r"(?:unalive|kill|hurt|cut|starve) myself",
        r"everyone would be (?:better|happier) (?:off )?(?:if|without) me", r"nobody would (?:miss|care about) me",
        r"quiero (?:morir|morirme|desaparecer para siempre)", r"no quiero (?:vivir|seguir viviendo)", r"acabar con todo",
        r"(?:matarme|cortarme|suicidarme|hacerme dano)", r"estarian mejor (?:si yo|sin mi)",
        r"(?:je veux|j'ai envie de|envie de) (?:mourir|disparaitre)", r"je (?:ne )?veux plus vivre", r"en finir",
        r"(?:me tuer|me couper|me suicider|me faire du mal)", r"(?:serait|seraient) mieux (?:si j'etais|sans moi)"),
}

GLORIFY: dict[str, str] = {
    "extremism": _any(
        r"(?:the )?(?:nazis?|hitler|isis|daesh|al ?qaeda|kkk|klan|taliban|terrorists?|jihadis?|jihadists?|neo ?nazis?|"
        r"suicide bombers?|9/11 (?:attackers|hijackers)) (?:were|was|are|is|had) (?:right|heroes|a hero|the good guys|"
        r"good (?:people|guys)|great|cool|awesome|the heroes|a great leader|the right idea)",
        r"(?:nazis|hitler|terroristas|yihadistas|kkk|estado islamico) (?:tenian|tenia|tienen|tiene|son|eran|era|fue|es) "
        r"(?:razon|heroes|un heroe|los buenos|un gran lider|buenos)",
        r"(?:nazis|hitler|terroristes|djihadistes|kkk|daech|etat islamique) (?:avaient|avait|ont|a|sont|etaient|etait) "
        r"(?:raison|des heros|un heros|les gentils|un grand chef|gentils)",
        r"(?:white|aryan) (?:power|race must|pride)", r"race (?:war|purity)", r"our race must", r"poder blanco",
        r"pouvoir blanc", r"raza pura", r"race pure", r"(?:guerra racial|guerre raciale)"),
}

ACTS: dict[str, str] = {
    "hate": _any(
        rf"(?:jokes?|memes?|insults?|names|nicknames|slurs) (?:about|on|for|to call|against) (?:the |a )?{GROUPS}",
        rf"{GROUPS} (?:are|r|is|were) (?:all |so |just |really )?(?:{INSULTS})",
        rf"why {GROUPS} (?:are|r|is) (?:all |so )?(?:{INSULTS}|bad|wrong|smarter|better)",
        rf"{GROUPS} (?:should|must|need to|have to) (?:go back|leave|get out|be kicked out|be sent|die|disappear|be banned)",
        rf"(?:kick|send|throw|keep|get) (?:the |all )?{GROUPS} (?:out|away|back)",
        rf"(?:make fun of|making fun of|mock|mocking|laugh at|laughing at|bully|bullying|tease|teasing|hate|hating) "
        rf"(?:the |a |all )?(?:{GROUPS}|(?:kid|boy|girl|child) (?:in a wheelchair|with down syndrome|who (?:is|talks|looks)))",
        r"(?:racist|racista|raciste|homophobic|homofob[oa]|homophobe|antisemitic|antisemita|antisemite|sexist|sexista|"
        r"sexiste|transphobic|nazi) (?:comic|story|cartoon|comics|historia|comic|bd|histoire|cartoons?|song|cancion|chanson)",
        r"(?:my|our|the white) (?:race|religion|skin colou?r) is (?:the best|better|superior)",
        r"(?:white|whites) (?:only|are better|are superior)", r"holocaust jokes?", r"(?:belong|belongs) in the kitchen",
        rf"(?:chistes?|bromas?|insultos?|apodos?) (?:de|sobre|para|contra) (?:los |las |el |la )?{GROUPS}",
        rf"(?:burlarse|reirse|burlandose|riendose) (?:de|del) (?:los |las |el |la )?{GROUPS}",
        rf"{GROUPS} (?:son|eran) (?:todos |todas |unos |unas )?(?:{INSULTS})",
        rf"por que {GROUPS} son (?:{INSULTS})", rf"{GROUPS} (?:deberian|deben|tienen que) (?:irse|volver|largarse|morir|desaparecer)",
        rf"fuera (?:los |las )?{GROUPS}", rf"(?:blagues?|insultes?|surnoms?|vannes?) (?:sur|pour|contre) (?:les |le |la )?{GROUPS}",
        rf"se moquer (?:des|du|de la|de l'|de) ?{GROUPS}", rf"{GROUPS} (?:sont|etaient) (?:tous |toutes |des |de )?(?:{INSULTS})",
        rf"pourquoi {GROUPS} sont (?:{INSULTS})", rf"{GROUPS} (?:doivent|devraient) (?:partir|rentrer|degager|mourir|disparaitre)",
        rf"dehors les {GROUPS}", r"la france aux francais", r"espana para los espanoles"),
    "grooming": _any(
        r"secret (?:from|between) (?:your|my|his|her|their|the) (?:parents|mom|mum|dad|mommy|daddy|family)",
        r"our (?:little |special )*secret", r"special secret (?:game|games|friend|friendship|touch|between)",
        r"just between (?:us|you and me)",
        r"send me (?:a |some |your )?(?:pics?|pictures?|photos?|selfies?|videos?)(?: of (?:you|yourself))?$",
        r"send me (?:a |some |your )?(?:pics?|pictures?|photos?|selfies?|videos?) of (?:you|yourself)",
        r"(?:pics?|pictures?|photos?|selfies?) (?:of (?:you|yourself) )?(?:in (?:the|your) (?:bath|shower|underwear|bed|pajamas)|"
        r"without (?:your |a |any )?(?:clothes|shirt|top|pants))",
        r"(?:meet|meeting|see|visit) (?:me|him|her|an adult|a man|a grown ?up|a stranger|(?:an )?online friend|someone from "
        r"(?:the internet|online|roblox|fortnite|discord|a game))(?: \w+){0,3} (?:alone|in secret|secretly)",
        r"without (?:your|my) (?:parents|mom|dad) (?:knowing|finding out)", r"(?:get|gets|getting) in (?:his|her|a stranger's|the stranger's) (?:car|van)",
        r"(?:delete|deleting|hide|hiding) (?:the |our |my |your )?(?:chats?|messages?|texts?|dms) (?:so|from) (?:your|my|mom|dad|mum|the)", r"(?:older|adult|grown ?up|\d\d year old) (?:boyfriend|girlfriend)",
        r"(?:grown ?up|adult|man|teacher|coach) (?:\w+ ){0,4}(?:so (?:she|he|they) (?:won't|wont|doesn't) tell|to keep (?:quiet|it secret))",
        r"sit on (?:his|my|her) lap", r"(?:no se lo|no le) (?:digas|cuentes) a (?:nadie|tus padres|tu madre|tu padre|mama|papa)",
        r"nuestro (?:pequeno )?secreto", r"secreto especial", r"(?:solo )?entre tu y yo", r"mandame (?:una |unas )?fotos?",
        r"a solas con (?:un |una |el |la )?(?:adulto|hombre|desconocido|entrenador|profesor|amigo de internet)",
        r"sin que (?:lo )?(?:sepan?|se enteren?) (?:tus|mis) padres|sin decirselo a (?:nadie|mama|papa|tus padres)",
        r"ne (?:le )?dis (?:rien |pas |le pas )?a (?:personne|tes parents|ta mere|ton pere|maman|papa)", r"notre (?:petit )?secret", r"secret special", r"c'est entre nous",
        r"envoie-?moi (?:une |des )?photos?", r"sans que (?:mes|tes) parents (?:le )?sachent", r"sans le dire a (?:maman|papa|tes parents|personne)",
        r"(?:seul|seule) avec (?:un |une |l')?(?:adulte|homme|inconnu|entraineur|prof)"),
    "animal_cruelty": _any(
        rf"(?<!\ba )(?<!\bthe )(?<!\ban )(?:hurt(?:ing)?|kill(?:ing)?|tortur(?:e|ing)|kick(?:ing)?|burn(?:ing)?|drown(?:ing)?|"
        rf"poison(?:ing)?|abus(?:e|ing)|beat(?:ing)?|starv(?:e|ing)|shoot(?:ing)?|stab(?:bing)?|hit(?:ting)?|skin(?:ning)?|"
        rf"strangl(?:e|ing)|hang(?:ing)?|microwav(?:e|ing)|squish(?:ing)?|crush(?:ing)?|throw(?:ing)? (?:stones|rocks) at) "
        rf"(?:a |the |my |your |our |some |stray |little |baby |his |her |their |all the )?(?:neighbou?rs? |class |wild )?{ANIMALS}",
        rf"(?:make|making|made) (?:the )?{ANIMALS} (?:fight|suffer|bleed|cry)", rf"{ANIMALS} fight(?:s|ing)? for (?:money|fun)",
        r"(?:pull|pulling|rip|ripping) (?:the )?(?:wings|legs|tail) off", rf"(?:set|setting) (?:a |the )?{ANIMALS}(?:'s)? (?:tail )?on fire",
        rf"(?:hacer|hacerle) (?:dano|sufrir) (?:a|al) (?:la |el |los |las |un |una |mi )?{ANIMALS}",
        rf"(?:patear|pateando|matar|matando|torturar|torturando|quemar|quemando|ahogar|ahogando|pegar|pegando|envenenar|"
        rf"envenenando|maltratar|maltratando) (?:a )?(?:la |el |los |las |un |una |mi |unos )?{ANIMALS}",
        rf"(?:faire (?:du mal|souffrir)|donner des coups de pied) (?:a|au|aux|a la|a mon|a ma) ?(?:la |le |les |un |une |mon |ma )?{ANIMALS}",
        rf"(?:tuer|torturer|bruler|noyer|frapper|empoisonner|maltraiter|affamer) (?:les |le |la |un |une |mon |ma |des )?{ANIMALS}",
        rf"(?:combats?|peleas?) de {ANIMALS}"),
    "alcohol_tobacco": _any(
        rf"{KIDS} {GAP}(?:smoke|smoking|smokes|vape|vaping|vapes|doing shots|get drunk|getting drunk|"
        rf"having a (?:vodka|beer|wine) party)",
        r"(?:get|getting|got|gets) (?:drunk|wasted|tipsy|hammered|smashed|plastered)",
        r"(?:steal|stealing|sneak|sneaking|swipe|pinch) (?:\w+ ){0,2}(?:beer|wine|vodka|whiske?y|booze|alcohol|liquor|cigarettes?|cigs|vapes?)",
        r"(?:emborracharse|emborrachandose|borrachos? con|ponerse ciego|pillar un pedo|coger un pedo)",
        r"(?:se bourrer|se souler|etre bourre|prendre une cuite)",
        r"(?:robar|piquer|voler) (?:\w+ ){0,2}(?:cerveza|vino|vodka|whisky|alcohol|tabaco|cigarrillos|biere|vin|alcool|clopes|cigarettes)"),
    "gambling": _any(
        r"(?:win|make|making|earn|earning|winning|get rich) (?:\w+ ){0,2}(?:money|cash|rich)? ?(?:at|on|with|from|by|in) "
        r"(?:the |online )?(?:casinos?|betting|gambling|poker|slots|slot machines|roulette|the lottery|bets|blackjack)",
        r"(?:spend|spending|spends) (?:\w+ ){0,3}(?:on|in) (?:loot boxes|slots|slot machines|scratch cards|gambling|bets|the casino|lottery tickets)",
        r"(?:bet|bets|betting|gamble|gambles|gambling|wager|wagering) (?:\w+ ){0,3}(?:allowance|pocket money|"
        r"lunch money|savings|birthday money|(?:parents'?|mom'?s?|dad'?s?|mum'?s?) (?:money|card|credit card))",
        rf"{KIDS} {GAP}(?:betting|gambling|placing bets|playing poker|at the casino|play(?:ing)? slots)",
        r"(?:teach|teaching) (?:kids|children) (?:to|how to) (?:gamble|bet)", r"(?:beat|beating|cheat at|tricks to beat) (?:the )?(?:roulette|slots|casino|blackjack)",
        r"(?:ganar|ganando) dinero (?:en|con) (?:el |los |las )?(?:casino|apuestas|poker|tragaperras|ruleta)",
        rf"{KIDS} apostando", r"apostar (?:la paga|el dinero|mis ahorros|tus ahorros)",
        r"gagner (?:de l'argent|gros) (?:au|aux|en|avec les) (?:casino|paris|poker|machines a sous|roulette)",
        rf"{KIDS} qui parient", r"parier (?:son|mon|ton) argent"),
    "self_harm": _any(
        r"how (?:to|do i|can i|do you|can you) (?:kill|hurt|cut|starve|unalive|hang|drown) (?:myself|yourself|themselves|oneself)",
        r"(?:painless|easiest|quickest|best) (?:way|ways) to (?:die|go|end it)", r"how many pills (?:to|does it take|for)",
        r"(?:overdose|od) on", r"make (?:myself|yourself) (?:throw up|vomit|puke)", r"hide (?:my |the |your )?(?:self ?harm |cutting |cut )(?:scars|cuts|marks)", r"hide (?:my|your) (?:scars|cuts)",
        r"(?:stop|stopping) eating (?:to|so)", r"(?:como|formas? de) (?:matarse|suicidarse|cortarse|morir)", r"(?:comment|facons? de) (?:se tuer|se suicider|se couper|mourir)"),
    "violence": _any(
        rf"{VIOLENT} (?:everyone|everybody|people|someone|somebody|prisoners?|a prisoner|(?:{DETS}) (?:whole |own |little |new |"
        rf"best )?{VICTIMS})",
        r"(?:lots of|so much|full of) (?:blood|gore|guts)", r"(?:blood|gore|guts) everywhere", r"blood and (?:guts|gore)",
        r"(?:gory|gruesome|bloody) (?:\w+ )?(?:fight|death|scene|murder|massacre)",
        r"(?:chop|chopped|chopping|cut|cutting|rip|ripping|tear|tearing) (?:off |out )?(?:his|her|their|someone's|people's) "
        r"(?:heads?|arms|legs|guts|limbs|eyes)", r"(?:heads?|limbs) (?:chopped|cut|ripped|torn) off",
        r"(?:shoot|shooting) (?:up )?(?:everyone|everybody|people|the school|kids|students|my class)",
        r"(?:beat|beating|hurt|hurting) (?:someone|somebody|him|her|them) (?:up )?(?:really |so )?(?:bad|badly|until)",
        r"(?:make|making) (?:someone|him|her|them|people) bleed", r"(?:break|breaking) (?:someone's|his|her|their|a bully's) (?:bones?|arms?|legs?|neck)",
        rf"(?:apunalar|apunala|apunalando|matar|mata|matando|torturar|envenenar|estrangular|descuartizar|ahogar|disparar) "
        rf"(?:a )?(?:su|sus|mi|mis|tu|tus|un|una|el|la|los|las) (?:{VICTIMS_ES})",
        r"(?:mucha )?sangre y (?:visceras|tripas)", r"dar(?:le)? una paliza a (?:alguien|un|una|mi|su|tu)", r"(?:disparar|disparando) a todos",
        rf"(?:poignarder|poignarde|tuer|tue|torturer|empoisonner|etrangler|noyer|tabasser) (?:sa|son|ses|ma|mon|mes|ta|ton|tes|un|une|le|la|les) "
        rf"(?:{VICTIMS_FR})", r"(?:du |plein de )?sang et (?:des )?tripes", r"tirer sur (?:tout le monde|des gens|les gens)"),
    "extremism": _any(
        r"(?:join|joining|fight for|fighting for|serve|serving|become a (?:soldier|fighter) for) (?:the )?(?:jihad|isis|daesh|al ?qaeda|kkk|"
        r"klan|taliban|nazis|nazi party|neo ?nazis|a terrorist group|a militia)",
        r"(?:recruit|recruiting) (?:\w+ ){0,2}(?:into|for|to) (?:the )?(?:jihad|isis|kkk|klan|nazis|a terrorist group|a militia|terrorism)",
        r"(?:celebrat\w+|glory of|glorif\w+) (?:a |the )?(?:suicide bomb\w*|terror\w* attacks?|martyrdom|9/11|nazis|isis|taliban|terrorists)",
        r"(?:unete|unirse|uniros) (?:a|al) (?:la )?(?:yihad|estado islamico|daesh|kkk|nazis|un grupo terrorista)",
        r"(?:rejoins|rejoindre|rejoignez) (?:le |la |l')?(?:djihad|jihad|etat islamique|daech|kkk|un groupe terroriste)",
        r"(?:reclutar|recruter) (?:\w+ ){0,2}(?:para|pour) (?:un grupo terrorista|un groupe terroriste|la yihad|le djihad)",
        r"(?:celebra|celebre|celebrant) (?:un |une )?(?:atentado|attentat)"),
    "dangerous_challenges": _any(
        r"until (?:you|they|he|she|i|we) (?:pass out|faint|black out|throw up|puke)",
        r"(?:eat|eating|drink|drinking|swallow|swallowing) (?:\w+ ){0,2}(?:tide pods?|laundry pods?|detergent|bleach)",
        r"(?:lie|lying|lay|laying) (?:down )?on (?:the )?(?:road|tracks|railway|train tracks|highway)",
        r"(?:dare|challenge)s? (?:\w+ ){0,3}(?:jump off|touch the electric|set (?:yourself|himself|herself) on fire|run across the (?:road|highway))",
        r"(?:hasta|jusqu'a) (?:desmayarse|que te desmayes|s'evanouir|tomber dans les pommes)",
        r"(?:comer|manger|beber|boire) (?:\w+ ){0,2}(?:capsulas de detergente|capsules de lessive|lejia|javel)",
        r"(?:tumbarse|acostarse|s'allonger) (?:en|sur) (?:la |las |les )?(?:carretera|vias|rails|route|voies)"),
}
