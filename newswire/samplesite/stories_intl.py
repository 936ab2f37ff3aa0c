"""French, German and Spanish story templates, so the sample site has non-English articles.

Same slots as :mod:`newswire.samplesite.stories_en`; German keeps „quotes“ and umlauts so the
legacy-encoded page has characters outside ASCII.
"""

from __future__ import annotations

FR_DIPLOMACY = {
    "titles": (
        "{c1} et {c2} signent un accord commercial et énergétique à {cap}",
        "Sommet de {cap} : {c1} et {c2} rouvrent leurs ambassades",
        "À {cap}, les dirigeants de {c1} et de {c2} promettent un réseau électrique commun",
    ),
    "deks": (
        "L'accord réduit les droits de douane et prévoit une ligne à haute tension.",
        "Les critiques estiment que les questions les plus difficiles ont été évitées.",
    ),
    "leads": (
        "Les dirigeants de {c1} et de {c2} ont signé {weekday} à {cap} un accord sur le "
        "commerce et l'énergie, concluant un sommet qui devait tourner la page de plusieurs "
        "années de relations glaciales.",
        "Les présidents de {c1} et de {c2} se sont entendus {weekday} pour rouvrir leurs "
        "ambassades et rétablir les vols directs, au terme de deux jours de discussions à "
        "{cap} jugés « les plus fructueux depuis dix ans ».",
    ),
    "sentences": (
        "L'accord réduit les droits de douane sur {n} catégories de produits et engage les "
        "deux gouvernements à construire une ligne à haute tension d'ici {year}.",
        "Selon des responsables, le texte a été négocié au fil de {n} cycles de discussions, "
        "dont plusieurs ont failli échouer sur la question des droits de pêche.",
        "« Ce n'est pas la fin de nos différends, mais c'est la fin de l'indifférence », a "
        "déclaré {person} lors d'une conférence de presse.",
        "Les organisations patronales de {city} ont salué l'accord, estimant que les "
        "exportateurs avaient perdu des contrats importants à cause des retards à la frontière.",
        "Les critiques reprochent au sommet d'avoir évité les questions les plus difficiles, "
        "notamment le statut des îles revendiquées par les deux pays.",
        "Les deux dirigeants ont planté un arbre dans les jardins du {building} avant un "
        "déjeuner de travail qui a largement débordé.",
        "Dès le printemps prochain, les douaniers des deux pays partageront un poste commun au "
        "passage le plus fréquenté.",
        "Des diplomates de {c3} ont assisté à la signature en tant qu'observateurs.",
        "Les parlements des deux capitales doivent encore ratifier le traité, et l'opposition "
        "de {c2} promet d'en examiner chaque article.",
        "Les échanges entre les deux voisins ont reculé de près d'un tiers en cinq ans, "
        "d'après l'institut statistique de {c1}.",
        "Des manifestants se sont rassemblés devant le lieu du sommet dès le premier jour, "
        "certains réclamant plus de fermeté, d'autres une réconciliation plus rapide.",
        "Des groupes de travail sur l'énergie, les transports et l'éducation rendront leurs "
        "conclusions d'ici six mois.",
        "C'est la première visite d'un chef d'État de {c2} à {cap} depuis la fermeture des "
        "ambassades il y a {n} ans.",
    ),
    "tags": ("diplomatie", "commerce", "{c1}", "{c2}"),
}

FR_MARKETS = {
    "titles": (
        "Le {index} recule de {pct} % sous le poids des taux",
        "{company} s'envole en Bourse après un relèvement de ses prévisions",
        "La Bourse de {city} termine en hausse, portée par {company}",
    ),
    "deks": (
        "Les banques pèsent sur l'indice, les services aux collectivités résistent.",
        "Les gérants attendent la prochaine réunion de la banque centrale.",
    ),
    "leads": (
        "La Bourse de {city} a terminé en baisse {weekday}, le {index} cédant {pct} %, les "
        "investisseurs craignant que le coût du crédit reste élevé plus longtemps que prévu.",
        "L'action {company} a bondi de {pct} % {weekday} après le relèvement inattendu de ses "
        "objectifs annuels, entraînant le {index} à son plus haut niveau depuis deux semaines.",
    ),
    "sentences": (
        "Les volumes d'échanges sont restés faibles, de nombreux gérants attendant la réunion "
        "de politique monétaire prévue plus tard dans le mois.",
        "Les banques figuraient parmi les plus fortes baisses, tandis que les services aux "
        "collectivités et la distribution alimentaire résistaient mieux.",
        "La {currency} s'est repliée face au dollar, à son plus bas niveau depuis {month}.",
        "{company2} a perdu {pct2} % après avoir averti que la hausse des coûts de transport "
        "pèserait sur ses marges au second semestre.",
        "« Le marché essaie d'intégrer deux scénarios très différents en même temps », "
        "explique {person}, stratégiste chez {firm}.",
        "Les rendements des obligations d'État ont progressé pour la troisième séance "
        "consécutive, le taux à dix ans dépassant {yield} %.",
        "Les cours du pétrole se sont stabilisés après une semaine agitée, les opérateurs "
        "surveillant les discussions entre producteurs.",
        "Les analystes de {firm} ont relevé leur objectif de fin d'année pour l'indice, citant "
        "la bonne tenue de la consommation.",
        "Les particuliers ont massivement investi dans les fonds technologiques cette année, "
        "selon les données de la Bourse de {city}.",
        "Le gouverneur de la banque centrale a estimé la semaine dernière que l'inflation "
        "reculait mais restait trop élevée.",
        "Les valeurs moyennes ont fait moins bien que le marché, l'indice des moyennes "
        "capitalisations perdant {pct2} % sur la semaine.",
        "Les valeurs minières ont progressé grâce au rebond des prix des métaux.",
        "La cotation de {company2} a été brièvement suspendue dans l'après-midi après un "
        "mouvement brutal lié à un important ordre de vente.",
    ),
    "tags": ("marchés", "bourse", "{company}"),
}

DE_DIPLOMACY = {
    "titles": (
        "{c1} und {c2} unterzeichnen in {cap} Handels- und Energieabkommen",
        "Gipfel in {cap}: {c1} und {c2} öffnen ihre Botschaften wieder",
        "Nach zwei Tagen Gesprächen: {c1} und {c2} planen gemeinsamen Grenzübergang",
    ),
    "deks": (
        "Das Abkommen senkt Zölle und sieht eine Hochspannungsleitung vor.",
        "Kritiker bemängeln, dass die schwierigsten Fragen offen bleiben.",
    ),
    "leads": (
        "Die Staatschefs von {c1} und {c2} haben am {weekday} in {cap} ein Abkommen über "
        "Handel und Energie unterzeichnet und damit einen Gipfel abgeschlossen, der Jahre "
        "frostiger Beziehungen beenden soll.",
        "Die Präsidenten von {c1} und {c2} haben sich am {weekday} darauf verständigt, ihre "
        "Botschaften wieder zu öffnen – nach zwei Tagen Gesprächen in {cap}, die beide Seiten "
        "als „die ergiebigsten seit zehn Jahren“ bezeichneten.",
    ),
    "sentences": (
        "Das Abkommen senkt die Zölle auf {n} Warengruppen und verpflichtet beide Regierungen, "
        "bis {year} eine Hochspannungsleitung über die Grenze zu bauen.",
        "Nach Angaben von Beamten wurde der Text in {n} Verhandlungsrunden ausgearbeitet, von "
        "denen mehrere beinahe an der Frage der Fischereirechte gescheitert wären.",
        "„Das ist nicht das Ende unserer Meinungsverschiedenheiten, aber das Ende der "
        "Gleichgültigkeit“, sagte {person} auf einer Pressekonferenz.",
        "Wirtschaftsverbände in {city} begrüßten die Vereinbarung; Exporteure hätten wegen der "
        "Verzögerungen an der Grenze große Aufträge verloren.",
        "Kritiker bemängeln, dass der Gipfel die schwierigsten Fragen ausgespart habe, darunter "
        "den Status der Inseln, die beide Länder beanspruchen.",
        "Die beiden Staatschefs pflanzten im Garten des {building} einen Baum, bevor ein "
        "Arbeitsessen deutlich länger dauerte als geplant.",
        "Vom kommenden Frühjahr an sollen Zollbeamte beider Länder am verkehrsreichsten "
        "Übergang eine gemeinsame Kontrollstelle nutzen.",
        "Diplomaten aus {c3} verfolgten die Unterzeichnung als Beobachter.",
        "Die Parlamente beider Hauptstädte müssen den Vertrag noch ratifizieren; die Opposition "
        "in {c2} will jeden Paragrafen prüfen.",
        "Der Handel zwischen den Nachbarn ist nach Zahlen des Statistikamts von {c1} in fünf "
        "Jahren um fast ein Drittel geschrumpft.",
        "Vor dem Tagungsort versammelten sich schon am ersten Tag Demonstranten; die einen "
        "forderten mehr Härte, die anderen eine schnellere Aussöhnung.",
        "Arbeitsgruppen für Energie, Verkehr und Bildung sollen binnen sechs Monaten "
        "Ergebnisse vorlegen.",
        "Es ist der erste Besuch eines Staatsoberhaupts aus {c2} in {cap}, seit die Botschaften "
        "vor {n} Jahren geschlossen wurden.",
    ),
    "tags": ("Diplomatie", "Handel", "{c1}", "{c2}"),
}

DE_MARKETS = {
    "titles": (
        "{index} gibt {pct} Prozent nach – Zinssorgen belasten",
        "{company}-Aktie springt nach überraschender Prognoseerhöhung",
        "Börse {city} schließt fester, {company} führt die Gewinner an",
    ),
    "deks": (
        "Banken gehören zu den größten Verlierern, Versorger halten sich besser.",
        "Anleger warten auf die nächste Zinssitzung der Notenbank.",
    ),
    "leads": (
        "Die Börse in {city} hat am {weekday} schwächer geschlossen: Der {index} verlor {pct} "
        "Prozent, weil Anleger befürchten, dass die Kreditkosten länger hoch bleiben.",
        "Die Aktie von {company} ist am {weekday} um {pct} Prozent gestiegen, nachdem der "
        "Konzern aus {city} seine Jahresprognose überraschend angehoben hatte.",
    ),
    "sentences": (
        "Die Umsätze blieben dünn, viele Fondsmanager warten auf die Zinssitzung der Notenbank "
        "später im Monat.",
        "Banken gehörten zu den größten Verlierern, während Versorger und Lebensmittelhändler "
        "sich besser hielten.",
        "Die {currency} gab gegenüber dem Dollar nach und fiel auf den tiefsten Stand seit "
        "{month}.",
        "{company2} verlor {pct2} Prozent, nachdem das Unternehmen vor höheren Frachtkosten im "
        "zweiten Halbjahr gewarnt hatte.",
        "„Der Markt versucht, zwei sehr unterschiedliche Szenarien gleichzeitig einzupreisen“, "
        "sagte {person}, Chefstratege bei {firm}.",
        "Die Renditen von Staatsanleihen stiegen den dritten Handelstag in Folge; die "
        "zehnjährige Rendite kletterte über {yield} Prozent.",
        "Die Ölpreise stabilisierten sich nach einer turbulenten Woche, Händler beobachten die "
        "Gespräche der Förderländer.",
        "Analysten von {firm} hoben ihr Jahresendziel für den Index an und verwiesen auf den "
        "robusten Konsum.",
        "Privatanleger haben in diesem Jahr nach Daten der Börse {city} Milliarden in "
        "Technologiefonds gesteckt.",
        "Der Notenbankchef hatte vergangene Woche gesagt, die Inflation sinke, sei aber noch "
        "immer zu hoch.",
        "Nebenwerte entwickelten sich schwächer, der Index der mittelgroßen Unternehmen büßte "
        "auf Wochensicht {pct2} Prozent ein.",
        "Bergbauwerte legten zu, weil sich die Metallpreise erholten.",
        "Der Konzern erwirtschaftete im Quartal einen Umsatz von {n2} Millionen €, rund ein "
        "Fünftel mehr als im Vorjahr.",
    ),
    "tags": ("Börse", "Märkte", "{company}"),
}

ES_DIPLOMACY = {
    "titles": (
        "{c1} y {c2} firman en {cap} un acuerdo comercial y energético",
        "Cumbre en {cap}: {c1} y {c2} reabren sus embajadas",
        "Tras dos días de diálogo, {c1} y {c2} prometen un nuevo paso fronterizo",
    ),
    "deks": (
        "El acuerdo rebaja aranceles y prevé una línea de alta tensión.",
        "Los críticos creen que las cuestiones más difíciles quedaron pendientes.",
    ),
    "leads": (
        "Los líderes de {c1} y {c2} firmaron el {weekday} en {cap} un acuerdo de comercio y "
        "energía, al cierre de una cumbre con la que ambos gobiernos esperan dejar atrás años "
        "de relaciones gélidas.",
        "Los presidentes de {c1} y {c2} acordaron el {weekday} reabrir sus embajadas y "
        "restablecer los vuelos directos, tras dos días de conversaciones en {cap} que ambas "
        "partes calificaron de «las más productivas en una década».",
    ),
    "sentences": (
        "El acuerdo reduce los aranceles de {n} categorías de productos y compromete a ambos "
        "gobiernos a construir una línea de alta tensión a través de la frontera antes de "
        "{year}.",
        "Según los funcionarios, el texto se negoció a lo largo de {n} rondas, varias de las "
        "cuales estuvieron a punto de fracasar por los derechos de pesca.",
        "«No es el fin de nuestras diferencias, pero sí el fin de la indiferencia», declaró "
        "{person} en una rueda de prensa.",
        "Las patronales de {city} celebraron el pacto y recordaron que los exportadores habían "
        "perdido contratos por los retrasos en la frontera.",
        "Los críticos sostienen que la cumbre eludió las cuestiones más difíciles, como el "
        "estatus de las islas que reclaman ambos países.",
        "Los dos mandatarios plantaron un árbol en los jardines del {building} antes de un "
        "almuerzo de trabajo que se alargó mucho más de lo previsto.",
        "A partir de la próxima primavera, los aduaneros de ambos países compartirán un único "
        "puesto en el paso más transitado.",
        "Diplomáticos de {c3} asistieron a la firma como observadores.",
        "Los parlamentos de ambas capitales aún deben ratificar el tratado, y la oposición de "
        "{c2} ha prometido examinar cada artículo.",
        "El comercio entre los dos vecinos cayó casi un tercio en cinco años, según el "
        "instituto de estadística de {c1}.",
        "Decenas de manifestantes se concentraron ante la sede desde el primer día; unos "
        "pedían mano dura y otros una reconciliación más rápida.",
        "Los grupos de trabajo sobre energía, transporte y educación presentarán sus "
        "conclusiones en un plazo de seis meses.",
        "Es la primera visita de un jefe de Estado de {c2} a {cap} desde el cierre de las "
        "embajadas hace {n} años.",
    ),
    "tags": ("diplomacia", "comercio", "{c1}", "{c2}"),
}

ES_SPORT = {
    "titles": (
        "El {team1} vence al {team2} ({s1}-{s2}) y se pone líder",
        "Un gol en el descuento da al {team1} la victoria ante el {team2}",
        "{player} decide el duelo entre el {team1} y el {team2}",
    ),
    "deks": (
        "Un gol en el tiempo añadido mantiene abierta la lucha por el título.",
        "El visitante estrelló dos balones en el poste antes del gol decisivo.",
    ),
    "leads": (
        "El {team1} se colocó el {weekday} en lo más alto de la clasificación tras vencer por "
        "{s1}-{s2} al {team2}, un resultado que deja el título en sus manos a falta de {n} "
        "jornadas.",
        "Un gol de {player} en el tiempo de descuento dio al {team1} una victoria por {s1}-{s2} "
        "ante el {team2} el {weekday} por la noche, ante un estadio lleno.",
    ),
    "sentences": (
        "El {team2} dominó la primera media hora y estrelló un balón en el poste con un "
        "lanzamiento de falta de su capitán.",
        "El entrenador local hizo {n3} cambios en el descanso, y el paso a una defensa de tres "
        "transformó el partido.",
        "{player} ha marcado en {n} jornadas consecutivas, la mejor racha de cualquier jugador "
        "esta temporada.",
        "«Sufrimos mucho, pero los jugadores nunca dejaron de creer», dijo el entrenador al "
        "término del encuentro.",
        "La asistencia de {crowd} espectadores fue la mayor en el {stadium} desde la reforma de "
        "la tribuna.",
        "El portero del {team2} firmó una serie de paradas que mantuvo a su equipo con vida "
        "hasta los últimos minutos.",
        "Los aficionados de ambos clubes permanecieron en las gradas mucho después del pitido "
        "final, cantando bajo la lluvia.",
        "El resultado deja al {team2} a {n3} puntos de los puestos continentales, con un "
        "calendario complicado por delante.",
        "Ambos equipos tenían bajas importantes por lesión, y la batalla en el centro del "
        "campo fue áspera durante buena parte de la noche.",
        "El árbitro amonestó a {n3} jugadores en una segunda parte muy tensa, interrumpida por "
        "una atención médica en la grada.",
        "El {team1} visitará {city} el próximo fin de semana, mientras que el {team2} recibirá "
        "al colista.",
        "El club confirmó tras el partido que su capitán se someterá a pruebas por una lesión "
        "en el isquiotibial.",
    ),
    "tags": ("fútbol", "liga", "{team1}", "{team2}"),
}

TOPICS = {
    "fr": {"diplomacy": FR_DIPLOMACY, "markets": FR_MARKETS},
    "de": {"diplomacy": DE_DIPLOMACY, "markets": DE_MARKETS},
    "es": {"diplomacy": ES_DIPLOMACY, "sport": ES_SPORT},
}
