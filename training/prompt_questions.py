"""ELLIPSE's prompts as a client would send them: one full question per prompt, written for Orato.

ELLIPSE names each prompt by a 1-7 word title ("Honesty"), while a client's ``relevance_context``
is usually the question the learner answered. A title says little, so essays stand low against
their own, and a threshold chosen on titles alone let most off-topic answers through (titles keep
a threshold of their own for the clients who send one). These questions
were written once from the titles (and one essay of each prompt outside the calibration sample),
before any standing was computed with them, and are not tuned on the calibration. They are keyed
by the first 12 hex digits of the title's sha256, so no title from the data is copied here.
"""

from __future__ import annotations

import hashlib

QUESTIONS: dict[str, str] = {
    "ac4cab4c940d": "Do you think students would benefit from attending classes from home, online or by video conference?",
    "9d8540796859": ("Churchill said that success consists of going from failure to failure without losing enthusiasm. "
                     "Do you agree? What part does failure play in success?"),
    "0d9a464c5179": "Has technology, by limiting human contact, had a positive or a negative effect on people's lives?",
    "f9216270c22d": "Should high schools offer programs that let students graduate in three years instead of four?",
    "df8640138131": "Should people keep trying things beyond what they have already mastered, so that they grow?",
    "fd61f60271c5": "Is it a great accomplishment to be yourself in a world that keeps trying to make you something else?",
    "cc53b99270c7": "Is a positive attitude the key to success in life?",
    "1a8e0ece0658": "Once they are formed, are first impressions almost impossible to change?",
    "be6edd6f7daf": "Should people make their own decisions, or rely on the guidance of experts and authorities?",
    "63aee812fa7d": "Should your school follow the businesses that work four days a week with longer days?",
    "8d8b523b4e93": "Should the school change its lunch menu to serve healthier food?",
    "016bd4fcc25e": "Do we choose our own character traits, or is our character formed by influences beyond our control?",
    "b65de520ed56": "Should your school start an after-school homework club for students who need help?",
    "37c39dba0b00": "Should every student have to take an arts class, such as music, drama or painting?",
    "efebfb2e2ff5": "Should students need at least a B average to take part in sports and other activities?",
    "b654a3290688": "Should cities set curfews that keep teenagers off the streets at night?",
    "20171899832c": "Should students be allowed to use their cell phones in class for learning?",
    "9f7191a7120a": "Why is it good to spend time outdoors, in nature?",
    "77dd72669d99": "Which place in the world would you like to visit, and why?",
    "30092b053c3e": "Should students be required to do community service?",
    "9fb8e6afe139": "Should teachers praise students' work even when it is not very good, to build their self-esteem?",
    "01a6c34baede": "Describe an activity that is both enjoyable and educational, and explain why.",
    "11be49c981f6": "Should the school require every student to take part in at least one extracurricular activity?",
    "ad4d1d10b0f6": "Can a problem or a difficult situation turn out to have benefits for you?",
    "b59cfb09df8a": "Einstein said that imagination is more important than knowledge. Do you agree?",
    "df78723c6a9a": "Should older students spend time teaching and helping younger students in elementary school?",
    "8c15f1755ae9": "Is honesty always the best policy? Why is honesty important to you?",
    "c8ad526e0a8b": "What do you want to accomplish in the next ten years, and how will you do it?",
    "2290758389db": "Should students' summer projects be designed by their teachers or by the students themselves?",
    "b70af46730b6": "What are your talents and skills, and how can you develop them?",
    "c3809159d971": "Is it more dangerous to aim too high and miss, or to aim too low and reach your mark?",
    "4226c0a52ae2": "How does a good attitude help you at school, at work and with other people?",
    "22f1fc23a4da": "When you need advice, why is it better to ask more than one person?",
}  # fmt: skip


def title_key(title: str) -> str:
    return hashlib.sha256(title.encode()).hexdigest()[:12]


def question(title: str) -> str:
    """The full question written for the prompt called ``title``."""
    return QUESTIONS[title_key(title)]
