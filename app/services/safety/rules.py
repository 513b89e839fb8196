"""The rule layer: what must never pass, whatever the classifier thinks, and the safety framing that
marks a topic as one teachers cover ("why smoking harms your lungs", "what to do if you find a gun").

Patterns read normalised text (see normalise.py): lower case, no accents, words split by one space.
English, Spanish and French.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.services.safety import lexicon


def _any(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


# -- hazards: what each category is about, as nouns a topic names -------------------------------------
HAZARDS: dict[str, str] = {
    "weapons": _any(
        # not the fun or the historical ones: bath, seed and water bombs, bomb shelters and bomb squads
        r"(?<!bath )(?<!seed )(?<!photo )(?<!water )(?<!stink )(?<!glitter )(?<!yarn )"
        r"(?:pipe |nail |car |dirty |smoke |fertili[sz]er |home ?made |atomic |nuclear )?bombs?"
        r"(?! shelters?| squads?| disposal| sniffing| dogs?| pops?)",
        r"bombes?(?! de bain| a eau)",
        r"flingues?",
        r"explosives?",
        r"explosifs?",
        r"explosivos?",
        r"grenades?",
        r"granadas?",
        r"detonators?",
        r"molotovs?",
        r"napalm",
        r"ieds?",
        # toys and tools are not weapons: water, nerf, glue and bubble guns
        r"(?<!water )(?<!nerf )(?<!toy )(?<!glue )(?<!squirt )(?<!bubble )(?<!laser )(?<!ray )(?<!staple )(?<!cap )"
        r"(?<!spud )(?<!pop )(?<!foam )(?<!paint )(?:home ?made |3d printed |ghost |zip |real |loaded )?guns?",
        r"firearms?",
        r"rifles?",
        r"pistols?",
        r"handguns?",
        r"shotguns?",
        r"ammo",
        r"ammunition",
        r"bullets?",
        r"silencers?",
        r"armas?(?: de fuego)?",
        r"pistolas?(?! de agua)",
        r"bombas?",
        r"armes?(?: a feu)?",
        r"fusils?",
        r"pistolets?(?! a eau)",
        r"munitions?",
        r"municiones",
        r"poisons?(?! ivy| oak| dart)",
        r"venenos?",
        r"thermite",
        r"tnt",
        r"dynamite",
        r"dinamita",
        r"c4",
        r"semtex",
        r"landmines?",
        r"switchblades?",
        r"brass knuckles",
        r"flamethrowers?",
    ),
    "drugs": _any(
        r"cocaine",
        r"cocaina",
        r"(?<!diet )coke(?! and mentos| zero| float)",
        r"crack",
        r"heroine?",
        r"heroina",
        r"meth(?:amphetamine)?",
        r"crystal meth",
        r"lsd",
        r"ecstasy",
        r"extasis",
        r"molly",
        r"weed",
        r"marijuana",
        r"marihuana",
        r"cannabis",
        r"joints?",
        r"porros?",
        r"ketamine?",
        r"ketamina",
        r"fentanyl",
        r"fentanilo",
        r"opioids?",
        r"opiaceos?",
        r"drugs?",
        r"drogas?",
        r"drogues?",
        r"shrooms",
        r"magic mushrooms",
        r"pcp",
        r"xanax",
        r"oxy(?:contin|codone)?",
        r"lean(?! to\b| on\b| muscle| meat)",
        r"purple drank",
        r"mota",
        r"hierba",
        r"beuh",
        r"shit",
        r"(?<!vitamin )(?<!sleeping )pills?",
        r"pastillas",
        r"cachets",
    ),
    "alcohol_tobacco": _any(
        r"alcohol",
        r"alcool",
        r"(?<!root )(?<!ginger )beers?",
        r"cervezas?",
        r"bieres?",
        r"wine",
        r"vino",
        r"vin",
        r"vodka",
        r"whiske?y",
        r"rum",
        r"ron",
        r"rhum",
        r"tequila",
        r"gin",
        r"(?:tequila|vodka|jello|jelly|whiske?y|rum|gin) shots",
        r"shots of (?:alcohol|liquor|booze)",
        r"chupitos",
        r"booze",
        r"liquor",
        r"licor",
        r"alcohols?",
        r"cigarettes?",
        r"cigarrillos?",
        r"cigars?",
        r"puros?",
        r"vap(?:e|es|ing)",
        r"vapear",
        r"vapoter",
        r"juul",
        r"tobacco",
        r"tabaco",
        r"tabac",
        r"nicotine",
        r"nicotina",
        r"clopes?",
        r"cigarros?",
        r"hookah",
        r"shisha",
        r"chicha",
        r"cubatas?",
        r"botellon",
    ),
    "gambling": _any(
        r"betting",
        r"bets?",
        r"casinos?",
        r"poker",
        r"slots?",
        r"slot machines?",
        r"roulette",
        r"ruleta",
        r"blackjack",
        r"lottery tickets?",
        r"scratch cards?",
        r"sports betting",
        r"loot boxe?s?",
        r"apuestas?",
        r"apostar",
        r"tragaperras",
        r"paris sportifs",
        r"parier",
        r"jeux d'argent",
        r"machines a sous",
        r"gambling",
        r"gamble",
        r"cajas de botin",
        r"juegos de azar",
    ),
    "dangerous_challenges": _any(
        r"(?:tide ?pod|blackout|choking|fire|salt and ice|benadryl|skull ?breaker|cinnamon|nutmeg|milk crate|"
        r"car surfing|outlet|penny|pass ?out|fainting|kia|orbeez|one chip|hot chip|chroming|borg|"
        r"scarf|jump off the roof|train surfing|subway surfing|blackout|deodorant|dry scoop|tripping jump) "
        r"challenge",
        r"(?:reto|desafio) (?:del|de la|de los) (?:apagon|asfixia|desmayo|fuego|tide pod|sal y hielo|"
        r"rompecraneos|benadryl|canela)",
        r"(?:defi|challenge) (?:du|de la|des) (?:foulard|evanouissement|"
        r"jeu du foulard|feu|sel et glace|tide pod|benadryl|cannelle)",
        r"jeu du foulard",
        r"(?:choke|strangle) (?:yourself|each other|your friend)",
        r"hold (?:your|my) breath until (?:you|i) (?:pass out|faint)",
        r"(?:pass|passing) out on purpose",
        r"eat(?:ing)? (?:tide pods|laundry pods|detergent pods)",
        r"(?:sniff|huff)(?:ing)? (?:glue|paint|markers|aerosol|gas)",
        r"chroming",
        r"car surfing",
        r"train surfing",
        r"subway surfing",
    ),
}

# -- intent: asking for the means, the how-to, or children doing it --------------------------------------
INTENT = _any(
    r"(?:teach|show|tell) (?:me|us|kids|children|the class) (?:how )?to",
    r"help me (?:make|build|get|buy|find|hide|grow|cook|sneak|steal)",
    r"(?:ensename|ensenanos|ensenar a los ninos) a",
    r"(?:apprends|montre|explique)(?: |-)moi (?:a|comment)",
    r"how (?:to|do you|do i|can i|can you|can kids|can children|would i|should i) (?:make|build|craft|cook|brew|"
    r"grow|get|buy|use|do|try|take|smoke|drink|inject|snort|hide|sneak|shoot|fire|detonate|set off|win|place|"
    r"bet|gamble|order|find|mix|prepare|assemble|steal|light|vape|start|hold|sell|deal|score)",
    r"where (?:to|can i|can you|can kids|do i|do you) (?:get|buy|find|order|score)",
    r"recipes? (?:for|of)",
    r"step by step",
    r"tutorial",
    r"diy",
    r"make (?:your|my) own",
    r"instructions? (?:for|to)",
    r"guide to",
    r"(?:best|cheapest|easiest) (?:way|ways|place|places|site|sites) to",
    r"buy(?:ing)?",
    r"order(?:ing)? online",
    r"como (?:hacer|fabricar|construir|conseguir|comprar|usar|preparar|cocinar|fumar|beber|tomar|esconder|"
    r"disparar|ganar|apostar|vender|cultivar|armar)",
    r"donde (?:comprar|conseguir|encontrar|se consigue|se compra)",
    r"receta (?:de|para)",
    r"paso a paso",
    r"tutorial",
    r"comprar",
    r"conseguir",
    r"comment (?:faire|fabriquer|construire|obtenir|acheter|utiliser|preparer|fumer|boire|prendre|cacher|"
    r"tirer|gagner|parier|vendre|cultiver|trouver|se procurer)",
    r"ou (?:acheter|trouver|obtenir|se procurer)",
    r"recettes? (?:de|du|des|pour)",
    r"etape par etape",
    r"tuto",
    r"acheter",
    r"se procurer",
    r"(?:kids|children|students|pupils|teens?|a kid|a child|ninos|ninas|chicos|alumnos|enfants|eleves|gamins|"
    r"adolescentes|ados|toddlers?|my little (?:brother|sister)) (?:\w+ ){0,2}(?:drinking|smoking|vaping|doing|"
    r"taking|trying|using|buying|selling|making|playing|betting|bebiendo|fumando|tomando|probando|apostando|"
    r"qui boivent|qui fument|qui prennent|qui parient|boivent|fument|prennent|parient)",
    r"(?:fun|cool|easy|best|funny|awesome) (?:\w+ ){0,1}(?:ways|games?|tricks|tips)",
    r"(?:get|getting) (?:high|drunk|wasted|stoned|hammered)",
    r"drinking games?",
    r"first (?:beer|cigarette|joint|high)",
)

# -- what never passes, framing or not ------------------------------------------------------------------
ABSOLUTE: dict[str, str] = {
    "sexual": _any(
        r"porn\w*",
        r"xxx",
        r"hentai",
        r"nudes?",
        r"nudity",
        r"erotic\w*",
        r"erotique",
        r"sexy",
        r"strip ?teases?",
        r"strippers?",
        r"onlyfans",
        r"sexting",
        r"(?:have|having|had) sex",
        r"sex (?:with|scenes?|videos?|acts?|"
        r"positions?|stories|story|toys?|tapes?)",
        r"naked (?:girls?|boys?|women|men|kids|children|pictures?|"
        r"photos?|pics|selfies?|bodies|people)",
        r"sexo (?:con|oral|explicito)",
        r"hacer el amor",
        r"relaciones sexuales",
        r"desnud[oa]s?",
        r"fotos intimas",
        r"coucher avec",
        r"relations? sexuelles?",
        r"faire l'amour",
        r"photos? (?:de nus?|denudees?|intimes)",
        r"nue?s? (?:photos?|selfies?)",
        r"blowjobs?",
        r"handjobs?",
        r"orgasms?",
        r"masturbat\w*",
        r"fetish\w*",
        r"lingerie (?:models?|photos?)",
        r"(?:make|making) out",
        r"send nudes",
    ),
    "self_harm": _any(
        r"kill (?:yourself|myself|urself|themselves|himself|herself)",
        r"(?:end|take) (?:my|your) (?:own )?life",
        r"(?:want|wanna|going) to die",
        r"suicide (?:methods?|notes?|pacts?|plans?)",
        r"ways to (?:die|commit suicide)",
        r"how to (?:commit suicide|cut myself|cut yourself|hang myself|hang yourself|overdose|starve myself)",
        r"cut(?:ting)? (?:myself|yourself|my wrists?|your wrists?)",
        r"pro ?ana",
        r"thinspo\w*",
        r"(?:matarme|suicidarme|quitarme la vida|me quiero morir|quiero morirme|cortarme las venas)",
        r"(?:me suicider|me tuer|mettre fin a mes jours|je veux mourir|me scarifier|me couper les veines)",
        r"como (?:suicidarse|cortarse|ahorcarse)",
        r"comment (?:se suicider|se scarifier|se pendre)",
    ),
    "hate": _any(
        r"nigg(?:er|a|ers|as)s?",
        r"faggots?",
        r"fags?",
        r"kikes?",
        r"spics?",
        r"chinks?",
        r"wetbacks?",
        r"trann(?:y|ies)",
        r"retards?",
        r"sudacas?",
        r"maricon(?:es)?",
        r"negrata",
        r"bougnoules?",
        r"youpins?",
        r"pedes?",
        r"bamboulas?",
        r"(?:jews|blacks|muslims|mexicans|gays|immigrants|arabs|gypsies|asians|chinese|"
        r"africans|judios|negros|musulmanes|inmigrantes|gitanos|juifs|noirs|musulmans|arabes|immigres) (?:are|son|sont) "
        r"(?:inferior|subhuman|animals|vermin|dirty|stupid|evil|inferiores|animales|sucios|inferieurs|sales)",
    ),
    "extremism": _any(
        r"heil hitler",
        r"sieg heil",
        r"white (?:power|pride worldwide|supremacy is)",
        r"great replacement",
        r"race war",
        r"14 ?88",
        r"(?:join|joining|support|supporting) (?:isis|daesh|al ?qaeda|the taliban|the kkk|"
        r"hamas|hezbollah|boko haram|a militia|the jihad|neo ?nazis?)",
        r"(?:isis|daesh|kkk) (?:recruit\w*|propaganda)",
        r"hitler (?:was|is) (?:a hero|right|great|good)",
        r"(?:unirse|unete) (?:a|al) (?:isis|estado islamico|daesh|kkk)",
        r"rejoindre (?:daech|l'etat islamique|isis|le kkk)",
        r"martyrdom operations?",
        r"lone wolf attacks?",
    ),
}

# Hazards whose how-to is itself the harm (intent + hazard), besides the HAZARDS nouns.
HARM_ACTS: dict[str, str] = {
    "hate": _any(
        r"(?:racist|sexist|homophobic|antisemitic|racial|ethnic|transphobic) (?:jokes?|slurs?|insults?|names|songs?|memes?)",
        r"jokes? about (?:black|jewish|muslim|gay|mexican|asian|chinese|arab|disabled|fat|trans|immigrant) (?:people|kids)",
        r"(?:make fun of|mock|bully|insult) (?:\w+ ){0,2}(?:because of|for) (?:their|his|her) (?:race|skin|religion|colou?r)",
        r"chistes? (?:racistas?|homofobos?|machistas?|sobre (?:negros|judios|gitanos|gays|moros))",
        r"blagues? (?:racistes?|homophobes?|sexistes?|sur les (?:noirs|juifs|arabes|gays|roms))",
        r"insultos? racistas?",
        r"insultes? racistes?",
    ),
    "violence": _any(
        r"(?:kill|murder|stab|strangle|torture|poison|shoot|behead|decapitate|dismember|beat up|hurt) "
        r"(?:someone|somebody|people|a person|my (?:\w+ )?(?:teacher|classmates?|brother|sister|mom|dad|friend|"
        r"neighbou?r|parents?)|your|classmates|a classmate|kids|children|the teacher|a teacher|a baby|humans?)",
        r"school shootings?",
        r"shoot up (?:a|my|the) school",
        r"mass (?:shootings?|murders?)",
        r"gore",
        r"gory",
        r"dismember\w*",
        r"decapitat\w*",
        r"behead\w*",
        r"massacres? (?:for kids|step by step|fun)",
        r"blood and guts",
        r"serial killers?",
        r"torture (?:scenes?|methods?|techniques?)",
        r"(?:matar|apunalar|envenenar|torturar|golpear) a (?:alguien|la gente|una persona|mi|mis|un companero)",
        r"(?:tuer|poignarder|empoisonner|torturer|frapper) (?:quelqu'un|des gens|une personne|mon|ma|mes)",
        r"tiroteo escolar",
        r"fusillade (?:dans une|a l')ecole",
        r"descuartizar",
        r"decapiter",
    ),
    "animal_cruelty": _any(
        r"(?<!\ba )(?<!\bthe )(?<!\ban )(?:hurt|kill|torture|kick|burn|drown|poison|abuse|beat|starve|shoot|stab|throw|hit|set fire to|skin) "
        r"(?:a |the |my |your |our |some |stray |little )?(?:cats?|kittens?|dogs?|pupp(?:y|ies)|animals?|pets?|birds?|"
        r"hamsters?|frogs?|rabbits?|bunn(?:y|ies)|squirrels?|fish|horses?|ducks?|mice|mouse|lizards?|turtles?)",
        r"dog ?fight(?:s|ing)?",
        r"cock ?fight(?:s|ing)?",
        r"pelea de (?:perros|gallos)",
        r"combats? de (?:chiens|coqs)",
        r"(?:maltratar|torturar|matar|quemar|ahogar|envenenar|patear|golpear) (?:a |al |un |una |los |las )?"
        r"(?:animales|animal|perros?|gatos?|gatitos?|perritos?|pajaros?|conejos?|mascotas?)",
        r"(?:maltraiter|torturer|tuer|bruler|noyer|empoisonner|frapper) (?:un |une |le |la |les |des )?"
        r"(?:animaux|animal|chiens?|chats?|chatons?|chiots?|oiseaux?|lapins?)",
    ),
    "grooming": _any(
        r"secrets? (?:with|from|for) (?:an? |my |your )?(?:adult|grown ?up|stranger|teacher|coach|older (?:man|"
        r"woman|friend)|online friend|uncle|neighbou?r)",
        r"(?:don't|do not|never) tell (?:your |my )?(?:parents|mom|dad|"
        r"mum|mommy|daddy|family|teacher)",
        r"meet(?:ing)? (?:an? )?(?:online friend|stranger|adult|grown ?up|man|woman) "
        r"(?:alone|in secret|secretly|without telling)",
        r"send (?:pics|photos|pictures|selfies|videos) to (?:an? )?"
        r"(?:adult|stranger|older|someone (?:you met )?online|man)",
        r"adult (?:boyfriend|girlfriend)",
        r"(?:secreto|secretos) (?:con|de) (?:un |una )?(?:adulto|adulta|desconocido|extrano|entrenador|profesor)",
        r"no (?:se lo |le )?(?:digas|cuentes) (?:a tus|a tu|nada a tus) (?:padres|mama|papa|familia)",
        r"secrets? (?:avec|d') ?(?:un |une )?(?:adulte|inconnu|entraineur|prof)",
        r"(?:ne le dis|ne dis rien) (?:pas )?a "
        r"(?:tes|ta|ton) (?:parents|mere|pere|famille)",
        r"(?:rencontrer|quedar con) (?:un |una )?(?:inconnu|adulte|"
        r"desconocido|adulto) (?:seul|en secret|a solas|sin decir)",
    ),
}

# -- the framing of a lesson: these topics are what the product is for ------------------------------------
FRAMING = re.compile(
    _any(
        r"why .{0,80}\b(?:is|are|can be|was|were) (?:so |very |really )?(?:harmful|dangerous|bad|wrong|unhealthy|"
        r"not safe|unsafe|hurtful|illegal|risky|addictive|poisonous|not okay|not ok|mean|unkind)",
        r"why (?:we|you|kids|children|people|i) (?:should(?:n't| not)?|must not|mustn't|never|do not|don't|can't)",
        r"why .{0,40}\b(?:harms?|hurts?|damages?)\b",
        r"(?:harms?|hurts?|damages?|affects?) (?:your|our|the|a) "
        r"(?:body|bodies|brain|lungs|heart|health|teeth|liver|growing)",
        r"(?:does|do) to (?:your|the|our) (?:body|brain|health)",
        r"(?:hace|hacen) (?:al|a tu|a los) (?:cuerpo|cerebro|corazon|pulmones)",
        r"(?:fait|font) (?:au|a ton|aux) (?:corps|cerveau|coeur|poumons)",
        r"(?:dana|danan|abime|abiment) (?:el|la|los|le|les|ton|tu)",
        r"what to do (?:if|when)",
        r"what should (?:i|you|we) do (?:if|when)",
        r"(?<!don't )(?<!do not )(?<!never )(?<!not )tell(?:s|ing)? (?:a|an|your|the) (?:grown ?up|adult|trusted adult|teacher|parent|safe adult)",
        r"trusted adults?",
        r"(?:staying|stay|keeping|keep|being) safe",
        r"dangers? of",
        r"say(?:ing)? no (?:to|when)",
        r"how to say no",
        r"(?:is|are) (?:harmful|dangerous|bad for)",
        r"(?:can|could) (?:become|be) a problem",
        r"harms? (?:your|our|the|growing)",
        r"effects? of .{0,40} on",
        r"awareness",
        r"prevention",
        r"prevent(?:ing)?",
        r"how to (?:help|support|comfort|protect)",
        r"how (?:\w+ ){1,3}(?:helps?|protects?|keeps?) (?:us|people|kids|children|you|our|the)",
        r"(?:coping|cope|dealing|deal) with",
        r"explained|expliquee?s?|explicad[oa]s?",
        r"(?:avoid|avoiding|resist|resisting|refuse|refusing|stand up to|standing up to|stop|stopping|report|reporting)",
        r"history of",
        r"remember(?:ed|ing|ance)?",
        r"lessons? (?:from|of)",
        r"learn(?:ing)? (?:from|about the dangers)",
        r"safety",
        r"(?:good|bad) secrets",
        r"(?:fire|lockdown|evacuation|earthquake|tornado) drills?",
        r"simulacros?",
        r"exercices? (?:d'incendie|d'evacuation|incendie)",
        r"(?:body|fire|gun|road|water|online|internet|poison) safety",
        r"por que .{0,80}\b(?:es|son|puede ser) (?:muy )?(?:peligros[oa]s?|mal[oa]s?|danin[oa]s?|nociv[oa]s?|toxic[oa]s?|"
        r"ilegal(?:es)?|adictiv[oa]s?)",
        r"por que (?:no (?:debemos|debes|hay que)|nunca)",
        r"que hacer (?:si|cuando)",
        r"(?:dile|decirle|avisar|contarle|cuentaselo) a un (?:adulto|mayor|profesor)",
        r"adulto de confianza",
        r"mantener(?:se|nos|te) (?:a salvo|seguros?)",
        r"peligros? (?:de|del)",
        r"decir(?:le)? (?:que )?no (?:a|al)",
        r"prevencion",
        r"seguridad",
        r"como (?:ayudar|proteger|evitar)",
        r"daña|dana (?:tu|los|el|la)",
        r"recordando|memoria",
        r"pourquoi .{0,80}\b(?:est|sont|peut etre) (?:tres )?(?:dangereu(?:x|se|ses)|mauvais(?:e|es)?|nocifs?|nocives?|"
        r"toxiques?|interdits?|illegal(?:e|es|aux)?)",
        r"pourquoi (?:il ne faut (?:pas|jamais)|on ne doit pas|ne jamais)",
        r"que faire (?:si|quand|en cas)",
        r"(?:le dire|en parler|dis-le|previens|prevenir) a un adulte",
        r"adulte de confiance",
        r"rester en securite",
        r"securite",
        r"(?:les )?dangers? (?:de|du|des)",
        r"dire non (?:a|au|aux)",
        r"prevention",
        r"comment (?:aider|proteger|eviter)",
        r"se souvenir|memoire",
    )
)


@dataclass(frozen=True)
class RuleVerdict:
    category: str | None  # refused under this category; None when the rules do not refuse
    framed: bool  # the text reads as a safety lesson ("what to do if", "why ... is harmful")


def _merged(*tables: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in tables:
        for category, pattern in table.items():
            out[category] = f"{out[category]}|{pattern}" if category in out else pattern
    return out


_ABSOLUTE = {
    c: re.compile(rf"\b(?:{p})\b") for c, p in _merged(ABSOLUTE, lexicon.FIRST_PERSON, lexicon.GLORIFY).items()
}
_INTENT_HAZARD = {
    c: re.compile(rf"\b{INTENT}\b(?:\s+\S+){{0,6}}?\s*\b{p}\b|\b{p}\b(?:\s+\S+){{0,3}}?\s*\b{INTENT}\b")
    for c, p in HAZARDS.items()
}
# A verb of making, getting or using directly on its hazard ("making a homemade bomb", "rolling a joint",
# "fabricar una bomba", "vendre de la coke"): no "how to" needed, and no room for a lesson in between.
VERB_ON = _any(
    r"(?:make|makes|making|made|build|builds|building|built|cook|cooking|brew|brewing|grow|growing|roll|rolling|steal|"
    r"stealing|stole|sell|sells|selling|sneak|sneaking|smuggle|smuggling|snort|snorting|inject|injecting|hide|hiding|"
    r"buy|buys|buying|bought|score|scoring|light|lighting|set off|setting off|detonate|detonating) "
    r"(?:(?:a|an|some|my|your|his|her|the|our|their|own|real|homemade|home made|diy|fake|little|cheap|small|big|"
    r"dad's|mom's|mum's|uncle's|brother's) )*",
    r"(?:hacer|hace|haciendo|fabricar|fabrica|fabricando|construir|construye|construyendo|vender|vende|vendiendo|"
    r"cultivar|cultiva|cultivando|robar|roba|robando|esnifar|esnifando|comprar|compra|comprando|esconder|escondiendo) "
    r"(?:(?:un|una|unos|unas|el|la|los|las|mi|mis|su|sus|tu|tus|casera|casero) )*",
    r"(?:faire|fait|fabriquer|fabrique|construire|construit|vendre|vend|cultiver|cultive|voler|vole|sniffer|sniffe|"
    r"acheter|achete|cacher|cache) (?:(?:un|une|des|du|de la|de l'|le|la|les|l'|mon|ma|mes|son|sa|ses|de|d') ?)*",
)
_VERB_ON = {c: re.compile(rf"\b{VERB_ON}\b{p}\b") for c, p in HAZARDS.items() if c != "dangerous_challenges"}
_CHALLENGE = re.compile(rf"\b{HAZARDS['dangerous_challenges']}\b")
_HARM_ACTS = {c: re.compile(rf"\b(?:{p})(?!\w)") for c, p in _merged(HARM_ACTS, lexicon.ACTS).items()}


def check(normalised: str) -> RuleVerdict:
    """Absolute rules refuse whatever the framing; intent with a hazard refuses unless framed as a lesson."""
    framed = bool(FRAMING.search(normalised))
    for category, pattern in _ABSOLUTE.items():
        if pattern.search(normalised):
            return RuleVerdict(category, framed)
    if framed:
        return RuleVerdict(None, framed)
    for category, pattern in _INTENT_HAZARD.items():
        if pattern.search(normalised):
            return RuleVerdict(category, framed)
    for category, pattern in _VERB_ON.items():
        if pattern.search(normalised):
            return RuleVerdict(category, framed)
    for category, pattern in _HARM_ACTS.items():
        if pattern.search(normalised):
            return RuleVerdict(category, framed)
    if _CHALLENGE.search(normalised):
        return RuleVerdict("dangerous_challenges", framed)
    return RuleVerdict(None, framed)


# The words a typo is corrected toward: hazard nouns long enough that one slip cannot turn an ordinary
# word into them (checked against the classifier's own vocabulary of ordinary words, see classifier.py).
TYPO_TARGETS = frozenset(
    [
        "bombs",
        "explosive",
        "explosives",
        "explosivo",
        "explosivos",
        "explosif",
        "explosifs",
        "grenade",
        "grenades",
        "granada",
        "granadas",
        "detonator",
        "molotov",
        "napalm",
        "firearm",
        "firearms",
        "rifle",
        "rifles",
        "pistol",
        "pistols",
        "pistola",
        "pistolas",
        "pistolet",
        "pistolets",
        "bullets",
        "ammunition",
        "silencer",
        "dynamite",
        "dinamita",
        "thermite",
        "poison",
        "veneno",
        "cocaine",
        "cocaina",
        "heroin",
        "heroine",
        "heroina",
        "methamphetamine",
        "ecstasy",
        "marijuana",
        "marihuana",
        "cannabis",
        "ketamine",
        "fentanyl",
        "fentanilo",
        "opioids",
        "drugs",
        "drogas",
        "drogues",
        "shrooms",
        "oxycodone",
        "alcohol",
        "alcool",
        "vodka",
        "whisky",
        "whiskey",
        "tequila",
        "liquor",
        "cigarette",
        "cigarettes",
        "cigarrillo",
        "cigarrillos",
        "cigars",
        "tobacco",
        "tabaco",
        "nicotine",
        "nicotina",
        "cerveza",
        "cervezas",
        "casino",
        "casinos",
        "poker",
        "roulette",
        "ruleta",
        "blackjack",
        "lottery",
        "betting",
        "gambling",
        "apuestas",
        "apostar",
        "tragaperras",
        "challenge",
        "suicide",
        "suicidio",
        "suicider",
        "suicidarme",
        "matarme",
        "kill",
        "yourself",
        "myself",
        "porn",
        "porno",
        "pornography",
        "hentai",
        "nudes",
        "erotic",
        "sexting",
        "naked",
        "desnudo",
        "desnuda",
        "racist",
        "racista",
        "raciste",
        "nazis",
        "hitler",
        "supremacy",
        "terrorist",
        "terrorism",
        "jihad",
        "torture",
        "torturar",
        "torturer",
        "murder",
        "massacre",
        "behead",
        "decapitate",
        "dismember",
    ]
)


def hazard_words() -> frozenset[str]:
    """Hazard words of five letters or more: where an obvious typo is corrected to."""
    return frozenset(w for w in TYPO_TARGETS if len(w) >= 5)
