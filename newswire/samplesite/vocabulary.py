"""Invented places, people and calendar words that fill the story templates, per language.

Every name here is made up for the sample site, so generated stories never describe real
countries, companies or people.
"""

from __future__ import annotations

COUNTRIES = (
    "Valdoria",
    "Karsland",
    "Ostmere",
    "Lunesia",
    "Tarvania",
    "Heldria",
    "Corsaval",
    "Brynmark",
    "Quessany",
    "Morvath",
)
CAPITALS = (
    "Corvena",
    "Halstad",
    "Miravel",
    "Dunmor",
    "Selvaro",
    "Tarvin",
    "Ostrelle",
    "Pelgrave",
    "Varnholm",
    "Lisedra",
)
CITIES = ("Brackwater", "Fennick", "Solmara", "Ardenvale", "Kestrel Bay", "Norhaven", "Ulmstadt")
RIVERS = ("Vessa", "Oldran", "Marrow", "Tiel", "Kavra")
STADIUMS = ("Riverside Ground", "Northgate Park", "Old Foundry", "Harbour Arena", "Hillcrest")
COMPANIES = (
    "Norvik Energy",
    "Halbrand Logistics",
    "Corvena Textiles",
    "Seagrass Foods",
    "Altamark Systems",
    "Brightwell Pharma",
    "Irongate Mining",
    "Lumen Telecom",
)
FIRMS = ("Ashcombe Capital", "Meriden Partners", "Kestrel Securities", "Vantwell Research")
INDEXES = ("Corvena Composite", "Halstad 40", "Miravel All-Share", "Dunmor 100")
CURRENCIES = {"en": "krona", "fr": "krona", "de": "Krona", "es": "krona"}

FIRST_NAMES = {
    "en": (
        "Maria",
        "James",
        "Priya",
        "Daniel",
        "Helen",
        "Samuel",
        "Grace",
        "Omar",
        "Laura",
        "Thomas",
        "Nadia",
        "Peter",
    ),
    "fr": ("Léa", "Julien", "Camille", "Étienne", "Margaux", "Hugo", "Chloé", "Benoît"),
    "de": ("Jürgen", "Katrin", "Lukas", "Anja", "Matthias", "Sabine", "Jörg", "Miriam"),
    "es": ("Lucía", "Javier", "Andrés", "Carmen", "Sofía", "Raúl", "Elena", "Tomás"),
}
LAST_NAMES = {
    "en": (
        "Holloway",
        "Carter",
        "Nakamura",
        "Okafor",
        "Brennan",
        "Whitfield",
        "Castellano",
        "Reyes",
        "Lindgren",
        "Ashby",
        "Morrow",
        "Delaney",
    ),
    "fr": (
        "Dubois",
        "Lefèvre",
        "Moreau",
        "Girard",
        "Fontaine",
        "Rousseau",
        "Chevalier",
        "Marchand",
    ),
    "de": ("Schröder", "Hoffmann", "Krüger", "Vogel", "Brandt", "Köhler", "Mühlbauer", "Weiß"),
    "es": ("Navarro", "Fernández", "Muñoz", "Ibáñez", "Castillo", "Romero", "Delgado", "Peña"),
}
BUILDINGS = {
    "en": ("Ministry of Defence", "Palace of the Republic", "Northern Guard barracks"),
    "fr": ("palais de la République", "ministère des Affaires étrangères", "palais du Lac"),
    "de": ("Präsidentenpalasts", "Außenministeriums", "Schlosses am See"),
    "es": ("Palacio de la República", "Ministerio de Exteriores", "Palacio del Lago"),
}
TEAM_PATTERNS = {
    "en": ("{city} United", "{city} Rovers", "{city} Athletic", "{city} Wanderers"),
    "fr": ("Olympique {city}", "Racing {city}", "Stade {city}", "AS {city}"),
    "de": ("FC {city}", "SV {city}", "Borussia {city}", "Eintracht {city}"),
    "es": ("Atlético {city}", "Real {city}", "Deportivo {city}", "Unión {city}"),
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}
COMMENTERS = (
    "riverwatcher",
    "old_harbour",
    "mkestrel",
    "quietreader",
    "northgate_fan",
    "civic_minded",
    "ledger42",
    "fennick_local",
    "sailorjo",
    "plainfacts",
)
COMMENT_LINES = {
    "en": (
        "Good to see some actual reporting on this instead of rumours.",
        "I grew up near the border and nobody there wants another summer like the last one.",
        "The numbers in the fourth paragraph do not add up for me.",
        "Let's wait and see what happens after the next round.",
        "Clear and balanced, thank you.",
        "Same story every year, different faces.",
    ),
    "fr": (
        "Enfin un article clair sur le sujet.",
        "Attendons de voir ce que donnera la prochaine réunion.",
        "Les chiffres du quatrième paragraphe m'étonnent.",
        "Toujours la même histoire, avec d'autres visages.",
    ),
    "de": (
        "Endlich mal ein sachlicher Bericht dazu.",
        "Abwarten, was die nächste Runde bringt.",
        "Die Zahlen im vierten Absatz überzeugen mich nicht.",
        "Jedes Jahr dasselbe, nur mit anderen Gesichtern.",
    ),
    "es": (
        "Por fin un artículo claro sobre el tema.",
        "Habrá que ver qué pasa en la próxima reunión.",
        "Las cifras del cuarto párrafo no me cuadran.",
        "Cada año la misma historia, con otras caras.",
    ),
}
