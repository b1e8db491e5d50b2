"""The address filter of offers: French street addresses are caught, ordinary house rules are not."""
import pytest

from services.housing.addresses import street_address_in

ADDRESSES = [
    "12 rue Solférino",
    "au 12 de la rue Gambetta, 2e étage",
    "3 r. Gambetta",
    "3 R. Gambetta, Lille",
    "12bis rue Nationale",
    "12 bis, rue Nationale",
    "7 ter avenue du Peuple Belge",
    "45 av. de la République",
    "45 Av République",
    "18 boulevard Vauban",
    "18 bd Vauban",
    "18, Bd de la Liberté",
    "5 allée des Tilleuls",
    "5 allee des Tilleuls",
    "9 impasse des Lilas",
    "9 imp. des Lilas",
    "2 chemin du Moulin",
    "2 ch. du Moulin",
    "8 place Rihour",
    "8 pl. du Théâtre",
    "14 quai du Wault",
    "14, quai de la Basse-Deûle",
    "n° 4 rue de Paris",
    "N°4 rue de Paris",
    "au n°22 de la rue Léon Gambetta",
    "12-14 rue Pierre Mauroy",
    "rue Gambetta n°12",
    "Rue Gambetta, 12",
    "rue Solférino 120",
    "place du Général de Gaulle 3",
    "3 cours Gambetta",
    "21 square Morisson",
    "4 route de Béthune",
    "6 passage Lepelletier",
    "10 faubourg de Roubaix",
    "10 fbg de Béthune",
    "1 rond-point de l'Europe",
    "3 résidence Les Peupliers",
    "59800 Lille",
    "59000 LILLE",
    "Appartement au 3e, 59000 Lille",
    "C'est au 8 rue Molière, sonnez deux fois",
    "chez nous : 27 rue des Postes",
    "On habite au 5, rue Jean Jaurès",
    "17 Rue du Molinel",
]

HARMLESS = [
    "Pas de fumée à l'intérieur.",
    "Calme après 22 h, s'il vous plaît.",
    "Calme après 22h en semaine.",
    "2 chats vivent ici.",
    "1 place de parking incluse.",
    "2 places de vélo dans la cour.",
    "3 colocataires étudiants, ambiance calme.",
    "Cuisine partagée, 2 salles de bain.",
    "Le loyer est payé le 5 du mois.",
    "Ménage partagé chaque semaine.",
    "Proche du métro Gambetta.",
    "À 10 minutes du centre à pied.",
    "Visites le samedi à 14h.",
    "Le quartier Wazemmes est animé le dimanche.",
    "Chambre de 12 m² au 2e étage.",
    "4 pièces, 80 m2, lumineux.",
    "Pas d'animaux, désolé.",
    "Bus 12 à 5 minutes.",
    "2 cours de yoga par semaine dans le salon.",
    "La rue est calme le soir.",
    "La rue piétonne est à 5 minutes.",
    "Un chemin de 2 km mène au parc.",
    "Le marché est sur la place le dimanche matin.",
    "Caution de 1000 euros, rendue au départ.",
    "Caution de 10000 Euros maximum pour l'appartement entier.",
    "1 chambre libre à partir de septembre.",
    "Nous sommes 3, dont 1 enfant de 4 ans.",
    "Wifi fibre, 1 Gb/s.",
    "Invités bienvenus 2 nuits par semaine.",
    "Machine à laver partagée, 1 lessive par jour.",
    "La cuisine ferme à 23 h.",
    "On parle français, anglais et 2 mots d'arabe.",
    "Le boulevard périphérique est loin, c'est calme.",
    "Une avenue arborée, beaucoup de verdure.",
    "Au 2e étage sans ascenseur.",
    "Les 3 chambres donnent sur le jardin.",
    "Loyer de 450 € charges comprises.",
    "Tram ligne 2 direction CHU.",
    "En 2027 la cuisine sera refaite.",
    "Respect du sommeil de 23 h à 7 h.",
    "Le quai de la gare est à 10 minutes en bus.",
    "Nous avons 2 routes pour aller au travail.",
]


def test_the_corpora_are_big_enough():
    assert len(ADDRESSES) >= 40 and len(HARMLESS) >= 40


@pytest.mark.parametrize("text", ADDRESSES)
def test_a_french_street_address_is_caught(text):
    assert street_address_in(text), text


@pytest.mark.parametrize("text", HARMLESS)
def test_a_harmless_sentence_is_not_taken_for_an_address(text):
    assert street_address_in(text) is None, street_address_in(text)
