"""English story templates: headlines, standfirsts, leads and body sentences per topic.

Slots in braces are filled by :mod:`newswire.samplesite.content` with invented names and
numbers, so each story reads differently while staying on one subject.
"""

from __future__ import annotations

DEFENCE = {
    "titles": (
        "Defence chiefs of {c1} and {c2} meet in {cap} as border talks resume",
        "Generals from {c1} and {c2} hold first talks in {n} months in {cap}",
        "Military leaders meet in {cap} to cool tension on the {river} frontier",
        "{c1} and {c2} commanders agree to keep talking after {cap} meeting",
    ),
    "deks": (
        "Officials describe closed-door talks as frank; no joint statement was issued.",
        "The meeting is the first at this level since a standoff along the border.",
    ),
    "leads": (
        "{CAP} ({wire}) — Senior military commanders from {c1} and {c2} met in {cap} on "
        "{weekday} for their first security talks in {n} months, officials said, as both "
        "governments tried to ease tension along their shared border.",
        "{CAP} ({wire}) — Defence chiefs from {c1} and {c2} sat down together in {cap} on "
        "{weekday}, the highest-level military contact between the two neighbours since a "
        "standoff on the frontier earlier this year.",
    ),
    "sentences": (
        "The meeting, held behind closed doors at the {building}, lasted more than {hours} "
        "hours and ended without a joint statement.",
        'A spokesperson for the {c1} defence ministry described the discussions as "frank and '
        'useful" but declined to give details.',
        "Diplomats familiar with the agenda said the talks covered a hotline between field "
        "commanders, advance notice of exercises and the return of {n2} detained soldiers.",
        "General {person}, who led the {c2} delegation, told reporters outside the building "
        'that both sides wanted to avoid "accidents that nobody intends".',
        "Troops from both countries have faced each other across the {river} valley since the "
        "spring, when a dispute between patrols left {n} soldiers injured.",
        "Analysts in {cap} cautioned that a single meeting would not settle a disagreement "
        "that has outlasted several governments.",
        "The talks were brokered by officials from {c3}, whose foreign minister travelled to "
        "{cap} last week to prepare the ground.",
        "Security around the venue was tight, with roads closed across the city centre and "
        "armoured vehicles parked at the main junctions.",
        "Officials said a second round could take place in {city} before the end of {month} if "
        "the working groups make progress.",
        "Opposition politicians in {c1} criticised the government for agreeing to the meeting "
        "without first securing the release of the detained soldiers.",
        "Residents of border villages say the military build-up has cut them off from markets "
        "on the other side of the valley for months.",
        "Neither delegation gave figures on troop numbers, but satellite images published by "
        "independent researchers show new camps on both banks of the river.",
        "The {c1} delegation arrived in a convoy of {n} vehicles shortly after dawn and left the "
        "compound in the early evening.",
        "A joint working group on mapping the disputed stretch of border is expected to meet "
        "for the first time within {n} weeks.",
    ),
    "tags": ("defence", "diplomacy", "{c1}", "{c2}"),
}

DIPLOMACY = {
    "titles": (
        "Leaders of {c1} and {c2} sign trade and energy pact in {cap}",
        "{c1} and {c2} agree to reopen embassies after summit in {cap}",
        "Summit in {cap} ends with pledge on a shared power grid",
        "{c1} and {c2} promise new border crossing after two days of talks",
    ),
    "deks": (
        "The agreement cuts tariffs and commits both sides to a high-voltage link.",
        "Critics say the hardest questions were left for another day.",
    ),
    "leads": (
        "Leaders of {c1} and {c2} signed a trade and energy agreement in {cap} on {weekday}, "
        "ending a summit that both governments hoped would draw a line under years of frosty "
        "relations.",
        "The presidents of {c1} and {c2} agreed on {weekday} to reopen their embassies and "
        "restart direct flights, capping two days of talks in {cap} that officials on both "
        "sides called the most productive in a decade.",
    ),
    "sentences": (
        "The agreement lowers tariffs on {n} categories of goods and commits both governments "
        "to building a high-voltage line across the border by {year}.",
        "Officials said the deal had been drafted over {n} rounds of negotiations, several of "
        "which nearly collapsed over fishing rights.",
        '"This is not the end of our differences, but it is the end of pretending we can '
        'ignore each other," {person} told a news conference.',
        "Business groups in {city} welcomed the pact, saying exporters had lost contracts "
        "worth hundreds of millions because of delays at the border.",
        "Critics argued that the summit had avoided the hardest questions, including the "
        "status of the islands both countries claim.",
        "The two leaders planted a tree in the garden of the {building} before a working lunch "
        "that ran well over schedule.",
        "Under the agreement, customs officers from both countries will share a single "
        "checkpoint at the busiest crossing from next spring.",
        "Diplomats from {c3} and several regional organisations attended the signing as observers.",
        "Parliaments in both capitals must still ratify the treaty, and the opposition in {c2} "
        "has promised to scrutinise every clause.",
        "Trade between the neighbours fell by almost a third over the past five years, "
        "according to figures from the {c1} statistics office.",
        "Protesters gathered outside the venue on the first day, some calling for a tougher "
        "line and others for faster reconciliation.",
        "Officials said working groups on energy, transport and education would report back "
        "to the leaders within six months.",
        "The summit was the first visit by a {c2} head of state to {cap} since the embassies "
        "closed {n} years ago.",
    ),
    "tags": ("diplomacy", "trade", "{c1}", "{c2}"),
}

MARKETS = {
    "titles": (
        "{index} slides {pct}% as investors weigh the rate outlook",
        "{company} shares jump after surprise profit upgrade",
        "Stocks edge higher in {city} as {company} leads gains",
        "Bond yields climb and the {index} drifts lower",
    ),
    "deks": (
        "Banks lead the fallers while utilities hold up; the krona weakens.",
        "Fund managers wait for the central bank's next policy meeting.",
    ),
    "leads": (
        "Shares in {city} fell on {weekday}, with the {index} closing down {pct} per cent, as "
        "investors weighed fresh signs that borrowing costs will stay high for longer.",
        "Shares in {company} rose {pct} per cent on {weekday} after the {city}-based group "
        "raised its full-year profit forecast, lifting the wider {index} to a two-week high.",
    ),
    "sentences": (
        "Trading volumes were thin, with many fund managers waiting for the central bank's "
        "policy meeting later in the month.",
        "Banks were among the biggest fallers, while utilities and food retailers held up better.",
        "The {currency} weakened against the dollar, touching its lowest level since {month}.",
        "{company2} lost {pct2} per cent after warning that higher shipping costs would weigh "
        "on margins in the second half.",
        '"The market is trying to price two very different outcomes at once," said {person}, '
        "chief strategist at {firm}.",
        "Government bond yields climbed for a third straight session, pushing the ten-year "
        "yield above {yield} per cent.",
        "Oil prices steadied after a volatile week, with traders watching supply talks among "
        "producers.",
        "Analysts at {firm} raised their year-end target for the index, citing resilient "
        "consumer spending.",
        "Retail investors have poured money into technology funds this year, according to "
        "data from the {city} exchange.",
        "The central bank's governor said last week that inflation was falling but remained "
        "too high for comfort.",
        "Shares in smaller companies underperformed, with the mid-cap index down {pct2} per "
        "cent on the week.",
        "Mining stocks rose as metal prices recovered on hopes of stronger demand from "
        "manufacturers.",
        "Trading in {company2} was briefly halted in the afternoon after a sharp move that the "
        "exchange said was caused by a large sell order.",
        "The group reported quarterly revenue of {n2} million krona, about a fifth more than "
        "a year earlier.",
    ),
    "tags": ("markets", "stocks", "{company}"),
}

SPORT = {
    "titles": (
        "{team1} beat {team2} {s1}-{s2} to go top of the league",
        "Late goal gives {team1} dramatic win over {team2}",
        "{player} double sinks {team2} as {team1} extend winning run",
        "{team1} hold their nerve against {team2} at the {stadium}",
    ),
    "deks": (
        "A stoppage-time winner keeps the title race wide open.",
        "The visitors hit the post twice before the decisive goal.",
    ),
    "leads": (
        "{team1} moved to the top of the table on {weekday} with a {s1}-{s2} win over {team2}, "
        "a result that keeps their title hopes firmly in their own hands with {n} matches left.",
        "A goal in stoppage time from {player} gave {team1} a {s1}-{s2} victory against {team2} "
        "on {weekday} night in front of a sold-out crowd at the {stadium}.",
    ),
    "sentences": (
        "{team2} had the better of the opening half hour and hit the post when their captain "
        "curled a free kick against the woodwork.",
        "The home side's coach made {n3} changes at half-time, and the switch to a back three "
        "changed the shape of the game.",
        "{player} has now scored in {n} consecutive league matches, the longest run by any "
        "player this season.",
        '"We suffered for long spells, but the players never stopped believing," the coach '
        "said afterwards.",
        "The attendance of {crowd} was the highest at the {stadium} since the main stand was "
        "rebuilt.",
        "{team2}'s goalkeeper made a string of saves to keep his side in the contest until the "
        "final minutes.",
        "Fans of both clubs stayed long after the final whistle, singing in the rain as the "
        "floodlights dimmed.",
        "The result leaves {team2} {n3} points adrift of the continental places with a "
        "difficult run of fixtures ahead.",
        "Both sides were missing key players through injury, and the midfield battle was "
        "scrappy for much of the evening.",
        "The referee booked {n3} players in a bad-tempered second half that included a long "
        "stoppage for a medical emergency in the stands.",
        "{team1} travel to {city} next weekend, while {team2} host the league's bottom club.",
        "The club confirmed after the match that its captain would have a scan on a hamstring "
        "injury.",
    ),
    "tags": ("sport", "football", "{team1}", "{team2}"),
}

TOPICS = {"defence": DEFENCE, "diplomacy": DIPLOMACY, "markets": MARKETS, "sport": SPORT}
