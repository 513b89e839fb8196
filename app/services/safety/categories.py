"""The twelve things a children's comic never carries, and how a refusal of each is worded.

A refusal never repeats what matched: the message is the same kind sentence for every topic of its
category, and the suggestion is a reframing a teacher can use instead.
"""

from __future__ import annotations

CATEGORIES = (
    "weapons",
    "drugs",
    "alcohol_tobacco",
    "sexual",
    "self_harm",
    "hate",
    "violence",
    "gambling",
    "animal_cruelty",
    "dangerous_challenges",
    "grooming",
    "extremism",
)

MESSAGE = (
    "Let's choose a different topic for this comic. This one is not right for young readers, "
    "but there are lots of great stories we can tell instead!"
)

SUGGESTIONS = {
    "weapons": "Try 'what to do if you find a gun: stop, don't touch, tell a grown-up'.",
    "drugs": "Try 'saying no to drugs and talking to a trusted adult'.",
    "alcohol_tobacco": "Try 'why smoking and alcohol harm growing bodies'.",
    "sexual": "Try 'body safety: my body belongs to me'.",
    "self_harm": "Try 'big feelings and who we can talk to when we feel sad'.",
    "hate": "Try 'celebrating our differences and standing up to unkind words'.",
    "violence": "Try 'solving problems without hurting anyone'.",
    "gambling": "Try 'saving money and making smart choices'.",
    "animal_cruelty": "Try 'how to look after pets and be kind to animals'.",
    "dangerous_challenges": "Try 'why some online challenges are dangerous and how to say no'.",
    "grooming": "Try 'good secrets and bad secrets: when to tell a grown-up'.",
    "extremism": "Try 'how people worked together for civil rights and peace'.",
}
