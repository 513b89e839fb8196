"""What the offline writer knows: themes of children's topics, each a list of lessons.

A lesson is one scene's worth of teaching, with wording for younger and older readers.
`{hero}` and `{helper}` are filled with the cast.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.comics.topics import TopicPhrases


@dataclass(frozen=True)
class Lesson:
    title: str
    setting: str
    visuals: tuple[str, ...]
    problem: str
    question: str
    action_young: str
    action_older: str
    point_young: str
    point_older: str


@dataclass(frozen=True)
class Theme:
    key: str
    keywords: tuple[str, ...]
    lessons: tuple[Lesson, ...]


SAFETY = Theme(
    "safety",
    (
        "safe",
        "safety",
        "danger",
        "stranger",
        "road",
        "street",
        "cross",
        "fire",
        "helmet",
        "emergency",
        "swim",
        "injur",
        "accident",
    ),
    (
        Lesson(
            "Stop, Look and Listen",
            "street",
            ("crosswalk", "traffic light", "rolling ball"),
            "{hero}'s ball rolls toward the busy road",
            "Can I run and get my ball?",
            "Stop! Look left and right. Then listen.",
            "Never chase a ball into the road. Stop at the curb, look both ways and listen for cars.",
            "We stop, look and listen before we cross.",
            "Crossing safely means stopping at the curb, looking both ways and listening before stepping out.",
        ),
        Lesson(
            "Helmet Heroes",
            "park",
            ("bicycle", "bright helmet", "bike path"),
            "{hero} wants to ride a bike without a helmet",
            "Do I really need my helmet for a short ride?",
            "Yes! Helmet on, every ride.",
            "Every ride, short or long. A helmet protects your head if you fall.",
            "We wear a helmet every time we ride.",
            "A helmet that fits snugly protects your brain on every ride, however short.",
        ),
        Lesson(
            "A Friendly Stranger?",
            "playground",
            ("slide", "swings", "park gate"),
            "a stranger offers {hero} sweets to come and see some puppies",
            "He seems nice. Can I go with him?",
            "No! Stay here and tell a grown-up you trust.",
            "Never go anywhere with someone you don't know. Say no, move away and tell a trusted grown-up.",
            "We never go with a stranger. We tell a grown-up.",
            "Saying no, moving away and telling a trusted adult keeps you safe, even when a stranger seems kind.",
        ),
        Lesson(
            "Hot, Hot, Hot!",
            "kitchen",
            ("stove", "steaming pot", "oven mitts"),
            "{hero} reaches for a steaming pot on the stove",
            "That soup smells good. Can I take a look?",
            "Stop! The stove is hot. Ask a grown-up.",
            "Stoves and pots can burn you. Stay back and ask a grown-up to help in the kitchen.",
            "Hot things can burn. We ask for help.",
            "Kitchens have hot surfaces and sharp tools, so children cook only with a grown-up helping.",
        ),
        Lesson(
            "Swim With a Buddy",
            "beach",
            ("waves", "lifeguard tower", "swim ring"),
            "{hero} wants to swim far out while the grown-ups are busy",
            "Can I swim out to the big rock by myself?",
            "Wait! Swim only when a grown-up watches.",
            "Only swim where a grown-up or lifeguard is watching, and stay close to the shore.",
            "We swim only when a grown-up is watching.",
            "Water can be stronger than it looks, so swim where a lifeguard or adult can see you.",
        ),
        Lesson(
            "Calling for Help",
            "home",
            ("telephone", "address card", "front door"),
            "Grandma feels dizzy and {hero} does not know what to do",
            "What do I do if someone needs help?",
            "Call the emergency number. Say where you are.",
            "Call the emergency number, stay calm, and say your full address so help can find you.",
            "We know our address and how to call for help.",
            "Knowing your address and the emergency number lets you bring help quickly when it matters.",
        ),
        Lesson(
            "Get Low and Go",
            "home",
            ("smoke alarm", "doorway", "meeting tree"),
            "the smoke alarm beeps and there is smoke in the hallway",
            "Should I hide under my bed?",
            "No hiding! Get low and get out.",
            "Never hide. Crawl low under the smoke, get out fast and meet your family at the meeting spot.",
            "If there is smoke, we get low and get out.",
            "In a fire, staying low under the smoke and leaving quickly is safer than hiding.",
        ),
        Lesson(
            "Click It Every Trip",
            "street",
            ("family car", "seat belt", "booster seat"),
            "{hero} climbs into the car and forgets the seat belt",
            "It's only a short drive. Do I need to buckle up?",
            "Yes! Click the belt every trip.",
            "Every trip. Buckle up before the car moves, and check that your friends did too.",
            "We buckle up on every trip.",
            "A seat belt, and a booster seat for smaller kids, keeps you in place if the car stops suddenly.",
        ),
    ),
)

KINDNESS = Theme(
    "kindness",
    ("kind", "share", "sharing", "friend", "bully", "bullying", "empathy", "include"),
    (
        Lesson(
            "Room for One More",
            "playground",
            ("sandbox", "bucket", "spade"),
            "a new kid stands alone by the sandbox",
            "Should we ask the new kid to play?",
            "Yes! Say hello. Ask them to play.",
            "Inviting someone in takes just a moment and can change their whole day.",
            "We invite others to play.",
            "Including others makes everyone feel they belong.",
        ),
        Lesson(
            "Sharing the Paints",
            "school",
            ("paint pots", "easel", "brushes"),
            "there is only one set of paints and two friends want it",
            "But I want all the colours!",
            "Take turns. Share the paints.",
            "If we share the colours and take turns, we can both finish our pictures.",
            "Sharing lets everyone have fun.",
            "Sharing and taking turns turns a quarrel into teamwork.",
        ),
        Lesson(
            "Words That Help",
            "school",
            ("classroom", "spelling test", "gold star"),
            "{hero} makes a mistake and a classmate laughs",
            "Why does it hurt when someone laughs at me?",
            "Unkind words hurt. Kind words help.",
            "Words can hurt or help. We choose kind words and stand up for friends.",
            "We use kind words.",
            "Choosing kind words, and speaking up when others don't, makes a class safe for everyone.",
        ),
        Lesson(
            "Saying Sorry",
            "park",
            ("broken kite", "tree", "picnic blanket"),
            "{hero} accidentally breaks a friend's kite",
            "What should I do now?",
            "Say sorry. Then help fix it.",
            "A real apology says what went wrong and offers to help make it right.",
            "We say sorry and help fix it.",
            "A sincere apology names the mistake and offers to repair it.",
        ),
    ),
)

HEALTH = Theme(
    "health",
    (
        "health",
        "healthy",
        "eat",
        "food",
        "vegetable",
        "fruit",
        "sleep",
        "exercise",
        "wash",
        "hygiene",
        "teeth",
        "germs",
    ),
    (
        Lesson(
            "Rainbow Plate",
            "kitchen",
            ("fruit bowl", "colourful plate", "carrots"),
            "{hero} only wants sweets for lunch",
            "Can I just eat cake today?",
            "Try a rainbow! Fruit and vegetables too.",
            "Eating many colours of fruit and vegetables gives your body what it needs to grow.",
            "Colourful food makes us strong.",
            "A plate with many colours gives your body a mix of vitamins it needs.",
        ),
        Lesson(
            "Scrub Away the Germs",
            "home",
            ("sink", "soap bubbles", "towel"),
            "{hero} comes in from playing and heads straight for a snack",
            "My hands look clean. Do I have to wash them?",
            "Yes! Soap and water first.",
            "Germs are too small to see. Wash with soap for twenty seconds before eating.",
            "We wash our hands with soap.",
            "Washing with soap for twenty seconds removes germs you cannot see.",
        ),
        Lesson(
            "Time for Bed",
            "home",
            ("bed", "night light", "storybook"),
            "{hero} wants to stay up late playing games",
            "Can I play just one more hour?",
            "Sleep helps you grow. Bedtime now.",
            "Sleep is when your body and brain recharge, so a regular bedtime helps you feel great.",
            "Sleep helps us grow.",
            "A regular bedtime lets your body and brain recharge for the next day.",
        ),
        Lesson(
            "Water Wins",
            "kitchen",
            ("water jug", "glasses", "lemon slices"),
            "{hero} reaches for a fizzy drink with lunch",
            "Can I have a fizzy drink with my food?",
            "Water is best! Drink up.",
            "Water keeps your body cool and your brain sharp, and it has no added sugar.",
            "Water is the best drink for us.",
            "Choosing water over sugary drinks is one of the easiest healthy-eating habits.",
        ),
        Lesson(
            "Breakfast Power",
            "kitchen",
            ("cereal bowl", "banana", "morning sun"),
            "{hero} wants to skip breakfast and rush to school",
            "Do I have to eat breakfast?",
            "Eat breakfast! It gives you energy.",
            "Eating a good breakfast gives you energy to learn and play all morning.",
            "Breakfast gives us energy.",
            "A healthy breakfast fuels your body and helps you concentrate all morning.",
        ),
        Lesson(
            "Snack Smart",
            "school",
            ("lunch box", "apple slices", "crackers"),
            "{hero} opens a lunch box and wants to trade the apple for sweets",
            "Can I swap my fruit for sweets?",
            "Keep the fruit! It is a smart snack.",
            "Fruit, nuts and crackers give you steady energy; sweets are a sometimes food for eating now and then.",
            "Fruit is a smart snack.",
            "Smart snacks keep your energy steady; sweets are for eating only now and then.",
        ),
        Lesson(
            "Move and Play",
            "park",
            ("jump rope", "football", "trees"),
            "{hero} has been sitting inside all day",
            "Is it OK if I just stay on the sofa?",
            "Let's move! Run, jump and play.",
            "Moving every day keeps your heart strong and your mood bright.",
            "Moving every day is fun.",
            "Daily active play keeps your heart strong and helps you feel happier.",
        ),
    ),
)

NATURE = Theme(
    "nature",
    ("recycl", "environment", "planet", "earth", "nature", "litter", "ocean", "plastic", "climate", "tree", "animal"),
    (
        Lesson(
            "Sort It Out",
            "home",
            ("recycling bins", "bottles", "newspapers"),
            "{hero} is about to throw a bottle in the rubbish bin",
            "Does it matter which bin I use?",
            "Yes! Bottles go in the recycling bin.",
            "Recycling turns old bottles and paper into new things, so less ends up as waste.",
            "We put things in the right bin.",
            "Sorting waste lets materials be recycled instead of thrown away.",
        ),
        Lesson(
            "Leave No Litter",
            "beach",
            ("sandcastle", "litter picker", "seagull"),
            "a sweet wrapper blows across the beach toward the sea",
            "It's just one wrapper. Does it matter?",
            "Pick it up! Keep the beach clean.",
            "Litter can hurt animals and the sea. Every wrapper we pick up helps.",
            "We pick up litter.",
            "Even small pieces of litter can harm wildlife, so every wrapper counts.",
        ),
        Lesson(
            "Plant a Seed",
            "garden",
            ("seedlings", "watering can", "sunflowers"),
            "{hero} finds some seeds and an empty flower pot",
            "Can a tiny seed really grow?",
            "Yes! Plant it, water it, wait.",
            "With soil, water, sunlight and patience, a tiny seed grows into a plant that feeds bees.",
            "Plants need water and sun.",
            "Plants need soil, water and light, and they help bees and the air we breathe.",
        ),
        Lesson(
            "Lights Off",
            "home",
            ("light switch", "window", "sunshine"),
            "every light in the house is on in the middle of the day",
            "Why should I switch the lights off?",
            "Turn it off when you leave!",
            "Switching off lights and screens we are not using saves energy for the planet.",
            "We turn off lights we don't need.",
            "Saving energy at home helps protect the planet.",
        ),
    ),
)

THEMES: tuple[Theme, ...] = (SAFETY, KINDNESS, HEALTH, NATURE)

GENERIC_SETTINGS = ("school", "park", "home", "garden", "forest", "playground")


def generic_lessons(phrases: TopicPhrases) -> tuple[Lesson, ...]:
    """Lessons for any topic, built around its phrases: `noun` is said mid-sentence ('sharing toys', 'why
    the sky is blue'), `question` is asked ('Why do we share our toys?'). Eleven, each with its own lines,
    so a 12-scene comic (ten lessons) never says a scene twice."""
    about, asked = phrases.noun, phrases.question
    return (
        Lesson(
            "Big Questions",
            "school",
            ("question marks", "big book", "blackboard"),
            f"{{hero}} hears about {about} for the first time",
            asked,
            "Let's ask and find out!",
            f"Good questions are the best way to start learning about {about}.",
            "We ask lots of questions.",
            f"Asking good questions is the first step to understanding {about}.",
        ),
        Lesson(
            "Step by Step",
            "park",
            ("stepping stones", "map", "backpack"),
            f"{{hero}} tries to learn about {about} and finds it hard at first",
            "Why is this so hard?",
            "Try again, one step at a time.",
            "Everyone finds new things tricky at first. Going step by step makes it easier.",
            "We learn step by step.",
            f"Learning about {about} in small steps turns something hard into something you understand.",
        ),
        Lesson(
            "Ask a Grown-Up",
            "home",
            ("kitchen table", "notebook", "warm lamp"),
            f"{{hero}} gets stuck while learning about {about}",
            "Who can help me with this?",
            "Ask a grown-up you trust.",
            "When you are stuck, a trusted grown-up can help you think it through.",
            "We ask a grown-up for help.",
            f"Trusted adults can help when learning about {about} gets confusing, and asking is a smart move.",
        ),
        Lesson(
            "Teach a Friend",
            "playground",
            ("bench", "chalk drawings", "friends"),
            f"a friend is curious about {about} too",
            "Can I show you what I learned?",
            "Show your friend! Learn together.",
            f"Explaining {about} to a friend helps both of you understand it better.",
            "We share what we learn.",
            f"Teaching a friend about {about} helps you both remember it.",
        ),
        Lesson(
            "Look Closer",
            "garden",
            ("magnifying glass", "flowers", "notebook"),
            f"{{hero}} notices something new about {about}",
            "Did you see that?",
            "Look closely. What do you notice?",
            f"Looking closely and noticing details helps us discover more about {about}.",
            "We look closely and notice things.",
            f"Careful observation reveals details about {about} that a quick look would miss.",
        ),
        Lesson(
            "Picture It",
            "school",
            ("crayons", "big paper", "easel"),
            f"{{hero}} and {{helper}} draw a picture about {about}",
            "What should we draw first?",
            "Draw what you know!",
            f"Drawing what we know about {about} shows what we understand and what we still wonder.",
            "Drawing helps us think.",
            f"A picture about {about} shows what you understand and what to find out next.",
        ),
        Lesson(
            "Story Time",
            "home",
            ("bookshelf", "cosy rug", "picture book"),
            f"{{helper}} finds a picture book about {about}",
            "Can we read it together?",
            "Yes! Let's read and talk.",
            f"Books hold what many people have learned about {about}, and reading together lets us talk about it.",
            "Books teach us new things.",
            f"Reading about {about} together and talking it over helps new ideas stick.",
        ),
        Lesson(
            "Try It Out",
            "park",
            ("picnic table", "toolbox", "paper plane"),
            f"{{hero}} wants to try out an idea about {about}",
            "What if it doesn't work?",
            "Then we try another way!",
            "Mistakes show us what to change next time. Trying again is how we learn.",
            "Mistakes help us learn.",
            f"Trying ideas about {about}, and learning from what goes wrong, is how real understanding grows.",
        ),
        Lesson(
            "Eyes Wide Open",
            "forest",
            ("tall trees", "trail", "binoculars"),
            f"on a walk, {{hero}} spots something that makes everyone think about {about}",
            "Is that part of it too?",
            "Let's stop and think.",
            f"Clues about {about} show up in places we don't expect, if we keep our eyes open.",
            "We keep our eyes open.",
            f"Spotting clues about {about} in everyday places connects what you learn to the world around you.",
        ),
        Lesson(
            "Make a Plan",
            "school",
            ("checklist", "pencils", "whiteboard"),
            f"{{hero}} and {{helper}} make a plan to show the class about {about}",
            "Where do we start?",
            "The easy part first, then the rest!",
            "A plan breaks a big job into small steps, so we always know what comes next.",
            "A plan helps us start.",
            f"Planning how to explain {about} turns a big job into steps anyone can follow.",
        ),
        Lesson(
            "Dinner Table Talk",
            "kitchen",
            ("dinner table", "family photo", "soup bowls"),
            f"at dinner, {{hero}} tells the family about {about}",
            "Do you want to know what I found out?",
            "Tell us everything!",
            f"Telling your family about {about} helps you remember it, and they learn something too.",
            "We tell our family what we learn.",
            f"Talking about {about} at home helps you remember it and brings the family into your learning.",
        ),
    )


def theme_for(topic: str) -> Theme | None:
    lowered = topic.lower()
    for theme in THEMES:
        if any(keyword in lowered for keyword in theme.keywords):
            return theme
    return None
