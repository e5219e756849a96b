"""drift: a frozen eval set against eight weeks of production, with planted drift.

The product is Wayline, a travel-booking app with an in-app assistant that answers
customer questions (changes, refunds, baggage, check-in, payments, loyalty points,
travel documents). The assistant's eval set was frozen at launch. The data is what the
team has eight weeks later:

- ``eval_set.csv``: the frozen eval set, with the v3 assistant's graded answers;
- ``production_logs.csv``: a logged sample of production requests over eight weeks,
  with thumbs-down and escalation signals;
- ``labelled_sample.csv``: last week's requests that reviewers graded;
- ``audit_results.csv``: a fairness audit (one scenario asked in six English varieties),
  run on v3 when it was frozen and re-run on v4.

What is planted (all of it drawn from the rng, see ``sample_parameters``):

- drift of one of two kinds, starting in a planted week: a market launch (a new
  language, which the eval set has never seen) or a product launch (a new intent, which
  the eval set has never seen). Which one it is decides the feature drift shows in first
  and the slice that the eval set does not cover;
- a slow reshuffle of the existing languages, and a shift in phrasing (short,
  search-style queries) that starts in its own week and shortens the queries;
- one week in which a logging misconfiguration kept only a few dozen requests, so small
  that PSI crosses the alarm threshold on noise alone;
- an eval set stratified towards non-English languages, so that the unweighted eval
  accuracy is not the accuracy on production's mix;
- an audit group that v4 hurts, while another group (already the weakest under v3)
  stays the lowest under v4.
"""

import datetime as dt
import re
import string
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

MIN_WEEK_N_CHOICES = (300, 400, 500)
WEEKS = 8
PSI_EPSILON = 1e-4
PSI_ALARM = 0.2

BASE_LANGUAGES = ("en", "es", "de", "fr", "it")
NEW_LANGUAGES = ("pt", "pl", "tr")
BASE_INTENTS = ("booking_change", "cancellation_refund", "baggage", "check_in", "payment",
                "loyalty", "travel_documents")
NEW_INTENTS = ("rail_booking", "esim_data")
LANGUAGES = BASE_LANGUAGES + NEW_LANGUAGES
INTENTS = BASE_INTENTS + NEW_INTENTS
AUDIT_GROUPS = ("en-US", "en-GB", "en-IN", "en-NG", "en-PH", "en-L2")

# Accuracy on the logit scale, relative to the variant's base rate.
LANGUAGE_EFFECT = {"en": 0.35, "de": 0.1, "fr": -0.15, "es": -0.25, "it": -0.45}
INTENT_EFFECT = {"booking_change": 0.1, "cancellation_refund": -0.35, "baggage": 0.4,
                 "check_in": 0.3, "payment": -0.2, "loyalty": 0.25, "travel_documents": -0.55}
INTENT_WEIGHT = {"booking_change": 0.22, "cancellation_refund": 0.2, "baggage": 0.14,
                 "check_in": 0.14, "payment": 0.1, "loyalty": 0.1, "travel_documents": 0.1}
WEEKDAY_FACTOR = (1.12, 1.0, 0.97, 0.98, 1.08, 0.78, 0.92)  # Monday first
# Local daytime, in UTC, of the people who write in each language.
HOUR_PEAK_UTC = {"en": 14.0, "es": 13.0, "de": 11.0, "fr": 11.5, "it": 11.5, "pt": 17.0,
                 "pl": 11.0, "tr": 9.5}

# ---------------------------------------------------------------------------------------
# Text bank. Slots: {pnr} {flight} {city} {date} {amount}. Each (language, intent) has
# full sentences and a short, search-style form (the phrasing production drifts to).
# ---------------------------------------------------------------------------------------

FULL: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "booking_change": (
            "Hi, I need to move my flight {flight} on {date} to a later date. Booking ref "
            "{pnr}. What's the fee?",
            "Can I change the return leg of booking {pnr}? I want to fly back from {city} one "
            "day earlier.",
            "Is it possible to change the name on booking {pnr}? My wife's surname is misspelt.",
        ),
        "cancellation_refund": (
            "My flight to {city} on {date} was cancelled by the airline. How do I get my "
            "{amount} back? Ref {pnr}.",
            "I cancelled booking {pnr} within 24 hours but I still haven't received the refund.",
            "The airline offered me a voucher for the cancelled {flight} but I want cash back.",
        ),
        "baggage": (
            "How many checked bags are included on {flight}? I'm travelling to {city} on {date}.",
            "My suitcase didn't arrive in {city}. Flight {flight}, booking {pnr}. Who do I "
            "contact?",
            "Can I take a guitar as cabin luggage on {flight}?",
        ),
        "check_in": (
            "Online check-in for {flight} keeps failing with an error. Booking {pnr}, departing "
            "{date}.",
            "When does check-in open for my flight to {city}? I can't find the boarding pass in "
            "the app.",
        ),
        "payment": (
            "My card was charged {amount} twice for booking {pnr}. Please refund the duplicate.",
            "Payment keeps getting declined at checkout, tried two different cards. Trying to "
            "book {city} for {date}.",
        ),
        "loyalty": (
            "The miles for flight {flight} on {date} never showed up in my Wayline Rewards "
            "account.",
            "Can I use my Wayline Rewards points to pay for part of a hotel in {city}?",
        ),
        "travel_documents": (
            "Do I need a visa or an ESTA to transit through {city}? Flying on {date}, booking "
            "{pnr}.",
            "My passport expires in four months, can I still fly to {city} on {date}?",
        ),
        "rail_booking": (
            "Can I book the train from the airport to {city} together with my flight {pnr}?",
            "My Wayline Rail ticket to {city} on {date} doesn't show a seat number. Is that ok?",
        ),
        "esim_data": (
            "I bought the Wayline eSIM for {city} but it doesn't connect to any network. What "
            "should I do?",
            "How do I top up the data on my Wayline eSIM? I'm in {city} until {date}.",
        ),
    },
    "es": {
        "booking_change": (
            "Hola, quiero cambiar mi vuelo {flight} del {date} a otra fecha. Reserva {pnr}. "
            "¿Cuánto cuesta?",
            "¿Puedo adelantar la vuelta desde {city}? Mi localizador es {pnr}.",
        ),
        "cancellation_refund": (
            "La aerolínea canceló mi vuelo a {city} del {date}. ¿Cómo recupero los {amount}?",
            "Cancelé la reserva {pnr} y todavía no me han devuelto el dinero.",
        ),
        "baggage": (
            "¿Cuántas maletas facturadas incluye el vuelo {flight}?",
            "Mi maleta no llegó a {city}. Vuelo {flight}, reserva {pnr}.",
        ),
        "check_in": (
            "No puedo hacer el check-in online del vuelo {flight}, me da error. Reserva {pnr}.",
            "¿Cuándo abre el check-in para mi vuelo a {city}?",
        ),
        "payment": (
            "Me han cobrado {amount} dos veces por la reserva {pnr}.",
            "Me rechazan la tarjeta al pagar, ya probé con dos tarjetas distintas.",
        ),
        "loyalty": (
            "No me han sumado las millas del vuelo {flight} del {date}.",
            "¿Puedo pagar parte del hotel en {city} con mis puntos Wayline Rewards?",
        ),
        "travel_documents": (
            "¿Necesito visado para hacer escala en {city}? Vuelo el {date}.",
            "Mi pasaporte caduca en cuatro meses, ¿puedo viajar a {city}?",
        ),
        "rail_booking": ("¿Puedo reservar el tren del aeropuerto a {city} junto con el vuelo "
                         "{pnr}?",),
        "esim_data": ("Compré la eSIM de Wayline para {city} y no se conecta a ninguna red.",),
    },
    "de": {
        "booking_change": (
            "Hallo, ich möchte meinen Flug {flight} am {date} umbuchen. Buchungsnummer {pnr}. "
            "Was kostet das?",
            "Kann ich den Rückflug aus {city} einen Tag früher nehmen? Buchung {pnr}.",
        ),
        "cancellation_refund": (
            "Mein Flug nach {city} am {date} wurde annulliert. Wie bekomme ich die {amount} "
            "zurück?",
            "Ich habe die Buchung {pnr} storniert, aber noch keine Erstattung erhalten.",
        ),
        "baggage": (
            "Wie viele Koffer sind beim Flug {flight} inklusive?",
            "Mein Koffer ist in {city} nicht angekommen. Flug {flight}, Buchung {pnr}.",
        ),
        "check_in": (
            "Der Online-Check-in für {flight} bricht immer mit einem Fehler ab. Buchung {pnr}.",
            "Ab wann kann ich für den Flug nach {city} einchecken?",
        ),
        "payment": (
            "Mir wurden {amount} doppelt für die Buchung {pnr} abgebucht.",
            "Meine Karte wird beim Bezahlen immer abgelehnt.",
        ),
        "loyalty": (
            "Die Meilen für den Flug {flight} am {date} wurden nicht gutgeschrieben.",
            "Kann ich mit Wayline-Rewards-Punkten einen Teil des Hotels in {city} bezahlen?",
        ),
        "travel_documents": (
            "Brauche ich ein Visum für den Umstieg in {city}? Ich fliege am {date}.",
            "Mein Reisepass läuft in vier Monaten ab. Darf ich noch nach {city} fliegen?",
        ),
        "rail_booking": ("Kann ich den Zug vom Flughafen nach {city} zusammen mit dem Flug "
                         "{pnr} buchen?",),
        "esim_data": ("Die Wayline-eSIM für {city} verbindet sich mit keinem Netz.",),
    },
    "fr": {
        "booking_change": (
            "Bonjour, je voudrais modifier mon vol {flight} du {date}. Réservation {pnr}. Quels "
            "sont les frais ?",
            "Est-ce que je peux avancer mon retour de {city} d'un jour ? Dossier {pnr}.",
        ),
        "cancellation_refund": (
            "Mon vol pour {city} du {date} a été annulé. Comment récupérer mes {amount} ?",
            "J'ai annulé la réservation {pnr} mais je n'ai toujours pas été remboursé.",
        ),
        "baggage": (
            "Combien de bagages en soute sont inclus sur le vol {flight} ?",
            "Ma valise n'est pas arrivée à {city}. Vol {flight}, dossier {pnr}.",
        ),
        "check_in": (
            "L'enregistrement en ligne pour le vol {flight} échoue à chaque fois. Dossier {pnr}.",
            "Quand ouvre l'enregistrement pour mon vol vers {city} ?",
        ),
        "payment": (
            "On m'a débité {amount} deux fois pour la réservation {pnr}.",
            "Ma carte est refusée au moment du paiement.",
        ),
        "loyalty": (
            "Les miles du vol {flight} du {date} n'ont pas été crédités.",
            "Puis-je payer une partie de l'hôtel à {city} avec mes points Wayline Rewards ?",
        ),
        "travel_documents": (
            "Ai-je besoin d'un visa pour une escale à {city} ? Je pars le {date}.",
            "Mon passeport expire dans quatre mois, puis-je aller à {city} ?",
        ),
        "rail_booking": ("Puis-je réserver le train de l'aéroport à {city} avec mon vol {pnr} ?",),
        "esim_data": ("J'ai acheté l'eSIM Wayline pour {city} mais elle ne capte aucun réseau.",),
    },
    "it": {
        "booking_change": (
            "Buongiorno, vorrei cambiare il volo {flight} del {date}. Prenotazione {pnr}. "
            "Quanto costa?",
            "Posso anticipare il ritorno da {city} di un giorno? Codice {pnr}.",
        ),
        "cancellation_refund": (
            "Il mio volo per {city} del {date} è stato cancellato. Come riavere i {amount}?",
            "Ho cancellato la prenotazione {pnr} ma non ho ancora ricevuto il rimborso.",
        ),
        "baggage": (
            "Quanti bagagli da stiva sono inclusi nel volo {flight}?",
            "La mia valigia non è arrivata a {city}. Volo {flight}, prenotazione {pnr}.",
        ),
        "check_in": (
            "Il check-in online per il volo {flight} dà sempre errore. Prenotazione {pnr}.",
            "Quando apre il check-in per il volo per {city}?",
        ),
        "payment": (
            "Mi avete addebitato {amount} due volte per la prenotazione {pnr}.",
            "La carta viene sempre rifiutata al pagamento.",
        ),
        "loyalty": (
            "Le miglia del volo {flight} del {date} non sono state accreditate.",
            "Posso usare i punti Wayline Rewards per pagare parte dell'hotel a {city}?",
        ),
        "travel_documents": (
            "Mi serve il visto per lo scalo a {city}? Parto il {date}.",
            "Il passaporto mi scade tra quattro mesi, posso andare a {city}?",
        ),
        "rail_booking": ("Posso prenotare il treno dall'aeroporto a {city} insieme al volo "
                         "{pnr}?",),
        "esim_data": ("Ho comprato la eSIM Wayline per {city} ma non si collega a nessuna rete.",),
    },
    "pt": {
        "booking_change": ("Oi, quero remarcar meu voo {flight} do dia {date}. Reserva {pnr}. "
                           "Qual a taxa?",),
        "cancellation_refund": ("Meu voo para {city} no dia {date} foi cancelado. Como recebo "
                                "os {amount} de volta?",),
        "baggage": ("Quantas malas despachadas estão incluídas no voo {flight}?",),
        "check_in": ("Não consigo fazer o check-in online do voo {flight}, dá erro. Reserva "
                     "{pnr}.",),
        "payment": ("Fui cobrado {amount} duas vezes pela reserva {pnr}.",),
        "loyalty": ("As milhas do voo {flight} não foram creditadas na minha conta Wayline "
                    "Rewards.",),
        "travel_documents": ("Preciso de visto para fazer conexão em {city}? Viajo dia {date}.",),
        "rail_booking": ("Dá para comprar o trem do aeroporto até {city} junto com o voo {pnr}?",),
        "esim_data": ("Comprei o eSIM da Wayline para {city} e não conecta em nenhuma rede.",),
    },
    "pl": {
        "booking_change": ("Dzień dobry, chcę zmienić termin lotu {flight} z {date}. "
                           "Rezerwacja {pnr}. Ile to kosztuje?",),
        "cancellation_refund": ("Mój lot do {city} w dniu {date} został odwołany. Jak odzyskać "
                                "{amount}?",),
        "baggage": ("Ile bagażu rejestrowanego jest w cenie lotu {flight}?",),
        "check_in": ("Odprawa online na lot {flight} ciągle pokazuje błąd. Rezerwacja {pnr}.",),
        "payment": ("Pobrano mi {amount} dwa razy za rezerwację {pnr}.",),
        "loyalty": ("Mile za lot {flight} nie zostały dopisane do konta Wayline Rewards.",),
        "travel_documents": ("Czy potrzebuję wizy na przesiadkę w {city}? Lecę {date}.",),
        "rail_booking": ("Czy mogę kupić bilet na pociąg z lotniska do {city} razem z lotem "
                         "{pnr}?",),
        "esim_data": ("Kupiłem eSIM Wayline na {city}, ale nie łączy się z żadną siecią.",),
    },
    "tr": {
        "booking_change": ("Merhaba, {date} tarihli {flight} uçuşumu değiştirmek istiyorum. "
                           "Rezervasyon {pnr}. Ücreti ne kadar?",),
        "cancellation_refund": ("{date} tarihli {city} uçuşum iptal edildi. {amount} iademi "
                                "nasıl alırım?",),
        "baggage": ("{flight} uçuşunda kaç parça bagaj dahil?",),
        "check_in": ("{flight} uçuşu için online check-in sürekli hata veriyor. Rezervasyon "
                     "{pnr}.",),
        "payment": ("{pnr} rezervasyonu için kartımdan iki kez {amount} çekildi.",),
        "loyalty": ("{flight} uçuşunun milleri Wayline Rewards hesabıma yüklenmedi.",),
        "travel_documents": ("{city} aktarması için vize gerekiyor mu? {date} tarihinde "
                             "uçuyorum.",),
        "rail_booking": ("Havalimanından {city} merkeze treni {pnr} uçuşumla birlikte alabilir "
                         "miyim?",),
        "esim_data": ("{city} için Wayline eSIM aldım ama hiçbir şebekeye bağlanmıyor.",),
    },
}

TERSE: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"booking_change": ("change flight {pnr} to {date}", "change date {flight}",
                              "move flight to {date}", "rebook {flight}"),
           "cancellation_refund": ("refund {pnr}", "flight cancelled refund?",
                                   "refund status", "cancelled flight money back"),
           "baggage": ("baggage allowance {flight}", "lost bag {city}", "extra bag price",
                       "bag didnt arrive"),
           "check_in": ("cant check in {pnr}", "boarding pass not showing",
                        "online check in error", "check in closed?"),
           "payment": ("card declined", "charged twice {pnr}", "payment failed",
                       "double charge"),
           "loyalty": ("miles missing {flight}", "use points hotel", "points not added",
                       "rewards balance"),
           "travel_documents": ("visa {city}?", "esta transit {city}", "passport expiry rules",
                                "transit visa needed?"),
           "rail_booking": ("train to {city}", "rail ticket {date}", "airport train"),
           "esim_data": ("esim not working", "esim top up data", "esim no signal")},
    "es": {"booking_change": ("cambiar vuelo {pnr}", "cambio de fecha {date}"),
           "cancellation_refund": ("reembolso {pnr}", "vuelo cancelado devolucion"),
           "baggage": ("equipaje {flight}", "maleta perdida {city}"),
           "check_in": ("check in no funciona", "tarjeta de embarque no sale"),
           "payment": ("pago rechazado", "cobro doble"),
           "loyalty": ("millas {flight}", "puntos no sumados"),
           "travel_documents": ("visado {city}", "pasaporte caducado"),
           "rail_booking": ("tren {city}",), "esim_data": ("esim no funciona", "recargar esim")},
    "de": {"booking_change": ("flug umbuchen {pnr}", "umbuchung {date}"),
           "cancellation_refund": ("erstattung {pnr}", "flug annulliert geld zurück"),
           "baggage": ("gepäck {flight}", "koffer verloren {city}"),
           "check_in": ("check-in geht nicht", "bordkarte fehlt"),
           "payment": ("zahlung abgelehnt", "doppelt abgebucht"),
           "loyalty": ("meilen fehlen {flight}", "punkte einlösen"),
           "travel_documents": ("visum {city}", "reisepass abgelaufen"),
           "rail_booking": ("zugticket {city}",),
           "esim_data": ("esim geht nicht", "esim aufladen")},
    "fr": {"booking_change": ("changer vol {pnr}", "modifier date {date}"),
           "cancellation_refund": ("remboursement {pnr}", "vol annulé remboursement"),
           "baggage": ("bagage {flight}", "valise perdue {city}"),
           "check_in": ("enregistrement impossible", "carte d'embarquement introuvable"),
           "payment": ("paiement refusé", "débité deux fois"),
           "loyalty": ("miles manquants", "points fidélité"),
           "travel_documents": ("visa {city}", "passeport expiré"),
           "rail_booking": ("billet train {city}",),
           "esim_data": ("esim marche pas", "recharge esim")},
    "it": {"booking_change": ("cambio volo {pnr}", "cambiare data {date}"),
           "cancellation_refund": ("rimborso {pnr}", "volo cancellato rimborso"),
           "baggage": ("bagaglio {flight}", "valigia persa {city}"),
           "check_in": ("check in non va", "carta d'imbarco non si vede"),
           "payment": ("pagamento rifiutato", "addebito doppio"),
           "loyalty": ("miglia mancanti", "usare punti hotel"),
           "travel_documents": ("visto {city}", "passaporto scaduto"),
           "rail_booking": ("biglietto treno {city}",),
           "esim_data": ("esim non funziona", "ricarica esim")},
    "pt": {"booking_change": ("remarcar voo {pnr}",), "cancellation_refund": ("reembolso {pnr}",),
           "baggage": ("bagagem {flight}",), "check_in": ("check in nao funciona",),
           "payment": ("pagamento recusado",), "loyalty": ("milhas {flight}",),
           "travel_documents": ("visto {city}",), "rail_booking": ("trem {city}",),
           "esim_data": ("esim nao funciona",)},
    "pl": {"booking_change": ("zmiana lotu {pnr}",), "cancellation_refund": ("zwrot {pnr}",),
           "baggage": ("bagaż {flight}",), "check_in": ("odprawa nie działa",),
           "payment": ("płatność odrzucona",), "loyalty": ("brak mil {flight}",),
           "travel_documents": ("wiza {city}",), "rail_booking": ("bilet pociąg {city}",),
           "esim_data": ("esim nie działa",)},
    "tr": {"booking_change": ("uçuş değişikliği {pnr}",), "cancellation_refund": ("iade {pnr}",),
           "baggage": ("bagaj hakkı {flight}",), "check_in": ("check in olmuyor",),
           "payment": ("ödeme reddedildi",), "loyalty": ("mil eksik {flight}",),
           "travel_documents": ("vize {city}",), "rail_booking": ("tren bileti {city}",),
           "esim_data": ("esim çalışmıyor",)},
}

OPENERS = {"en": ("Hi, ", "Hello, ", "Hey, ", ""), "es": ("Hola, ", "Buenas, ", ""),
           "de": ("Hallo, ", "Guten Tag, ", ""), "fr": ("Bonjour, ", ""),
           "it": ("Ciao, ", "Salve, ", ""), "pt": ("Olá, ", ""), "pl": ("Cześć, ", ""),
           "tr": ("Merhaba, ", "")}
TAILS = {"en": (" Thanks!", " Thank you.", " pls help", " ASAP please"),
         "es": (" Gracias.", " Gracias!!"), "de": (" Danke.", " Vielen Dank!"),
         "fr": (" Merci.", " Merci d'avance."), "it": (" Grazie.", " Grazie mille!"),
         "pt": (" Obrigado!",), "pl": (" Dziękuję.",), "tr": (" Teşekkürler.",)}
CITIES = {
    "en": ("London", "New York", "Dubai", "Singapore", "Lisbon", "Bangkok", "Manchester",
           "Toronto", "Cape Town", "Bali", "Edinburgh", "Boston", "Sydney", "Orlando"),
    "es": ("Madrid", "Cancún", "Bogotá", "Barcelona", "Tenerife", "Sevilla", "Lima",
           "Ciudad de México", "Valencia", "Palma", "Buenos Aires", "Málaga"),
    "de": ("München", "Wien", "Zürich", "Mallorca", "Hamburg", "Berlin", "Antalya",
           "Frankfurt", "Kreta", "Düsseldorf", "Salzburg", "Hurghada"),
    "fr": ("Paris", "Lyon", "Marrakech", "Montréal", "Nice", "Bordeaux", "Dakar", "Tunis",
           "Toulouse", "La Réunion", "Genève", "Bruxelles"),
    "it": ("Roma", "Milano", "Napoli", "Catania", "Olbia", "Palermo", "Bari", "Torino",
           "Tirana", "Cagliari", "Venezia", "Sharm"),
    "pt": ("São Paulo", "Rio de Janeiro", "Lisboa", "Recife"),
    "pl": ("Warszawa", "Kraków", "Gdańsk", "Londyn"),
    "tr": ("İstanbul", "Antalya", "İzmir", "Ankara"),
}
CARRIERS = ("LH", "BA", "IB", "AF", "AZ", "TK", "LO", "LA", "FR", "U2", "VY", "EW", "KL", "TP")
MONTHS = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "tr": ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül",
           "Ekim", "Kasım", "Aralık"),
}
_PNR_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TOKEN = re.compile(r"\w+|[^\w\s]")
_LONG_WORD = re.compile(r"\w{7,}")


def _round(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------

ALARM_CAUSES = ("new_traffic", "epsilon", "logging_outage")
# What the on-call engineer wrote when the alarm fired: always one of the wrong causes.
ONCALL_NOTES = {
    "new_traffic": "Drift alarm: new users the eval set has never seen. Filed an eval-refresh "
                   "ticket; nothing to do on the model side.",
    "epsilon": "PSI spike comes from a category with no eval items, so it is the epsilon "
               "blowing the number up. Muted.",
    "logging_outage": "Probably the log pipeline dropping events again. Muted until "
                      "ingestion is fixed.",
}
MISSED_FEATURES = ("query_tokens", "client")
CLIENTS = ("ios", "android", "web")
CLIENT_WEIGHT = {"ios": 0.45, "android": 0.43, "web": 0.12}


def _shares(rng: np.random.Generator, weights: dict[str, float], jitter: float) -> dict[str, float]:
    raw = {k: w * float(rng.lognormal(0.0, jitter)) for k, w in weights.items()}
    total = sum(raw.values())
    return {k: _round(v / total) for k, v in raw.items()}


def sample_parameters(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    """{"public": {...}, "hidden": {...}}. Public: ``min_week_n`` and ``oncall_note``."""
    min_week_n = int(rng.choice(MIN_WEEK_N_CHOICES))
    cause = str(rng.choice(ALARM_CAUSES))
    kind = ("market" if rng.random() < 0.5 else "product") if cause == "new_traffic" else "steady"
    # The week the first alarm is planted in (new traffic: the launch, or later).
    alarm_week = {"new_traffic": int(rng.integers(3, 7)), "epsilon": 2,
                  "logging_outage": int(rng.integers(3, 8))}[cause]
    small_week = 1 if cause == "epsilon" else int(rng.integers(2, alarm_week))
    missed = str(rng.choice(MISSED_FEATURES))
    new_language = str(rng.choice(NEW_LANGUAGES)) if kind == "market" else None
    minor_language = str(rng.choice([x for x in NEW_LANGUAGES if x != new_language]))
    oncall_guess = str(rng.choice([c for c in ALARM_CAUSES if c != cause]))

    en = float(rng.uniform(0.55, 0.63))
    rest = _shares(rng, {"es": 0.36, "de": 0.25, "fr": 0.23, "it": 0.16}, 0.15)
    minor = float(rng.uniform(0.045, 0.06) if cause == "epsilon" else rng.uniform(0.007, 0.012))
    prod_languages = {k: _round(v * (1 - minor)) for k, v in
                      ({"en": en} | {k: v * (1 - en) for k, v in rest.items()}).items()}
    prod_languages[minor_language] = _round(minor)
    # The eval set was stratified towards the non-English languages at launch, and has
    # no item in the minor language.
    eval_en = en - float(rng.uniform(0.09, 0.15))
    eval_languages = {"en": _round(eval_en)} | {
        k: _round(v * (1 - en) + (en - eval_en) / 4) for k, v in rest.items()}

    start = dt.date(2026, 2, 2) + dt.timedelta(weeks=int(rng.integers(0, 13)))
    days = int(rng.integers(5, 7))
    clients = _shares(rng, CLIENT_WEIGHT, 0.1)
    hidden: dict[str, Any] = {
        "cause": cause,
        "kind": kind,
        "oncall_guess": oncall_guess,
        "new_language": new_language,
        "new_intent": str(rng.choice(NEW_INTENTS)) if kind == "product" else None,
        "minor_language": minor_language,
        "alarm_week": alarm_week,
        "new_slice_share_last_week": _round(
            rng.uniform(0.10, 0.22) if kind == "market" else rng.uniform(0.08, 0.18)),
        "new_slice_ramp": _round(rng.uniform(0.5, 1.2)),
        "small_week": small_week,
        # The small week's log holds only its Monday, from midnight to this hour (UTC).
        "small_week_hours": int(rng.integers(7, 11)),
        "outage": {"start": int(rng.integers(0, 8 - days)), "days": days,
                   "en_lost": _round(rng.uniform(0.15, 0.3))},
        "reshuffle_language": str(rng.choice(["es", "it", "de"])),
        "reshuffle_share": _round(rng.uniform(0.08, 0.17) if kind == "product"
                                  else rng.uniform(0.0, 0.06) if kind == "market"
                                  else rng.uniform(0.08, 0.13)),
        "reshuffle_week": int(rng.integers(3, 8) if kind != "steady" else rng.integers(3, 7)),
        "missed": missed,
        "terse_eval": _round(rng.uniform(0.02, 0.05)),
        "terse_first_week": _round(rng.uniform(0.09, 0.14)),
        "terse_last_week": _round(rng.uniform(0.35, 0.6)),
        "terse_week": int(rng.integers(2, 7)),
        "terse_penalty": _round(rng.uniform(1.3, 1.8) if missed == "query_tokens"
                                else rng.uniform(0.3, 0.5)),
        "eval_clients": clients,
        "web_last_week": _round(rng.uniform(0.38, 0.52)),
        "client_week": int(rng.integers(2, 7)),
        "web_penalty": _round(rng.uniform(1.3, 1.8) if missed == "client"
                              else rng.uniform(0.1, 0.3)),
        "new_slice_penalty": _round(rng.uniform(0.4, 0.7)),
        "base_accuracy": _round(rng.uniform(0.87, 0.91)),
        "eval_languages": eval_languages,
        "prod_languages": prod_languages,
        "intents": _shares(rng, INTENT_WEIGHT, 0.2),
        "n_eval": int(rng.integers(900, 1301)),
        "daily_volume": _round(rng.uniform(240, 380), 1),
        "growth": _round(rng.uniform(0.0, 0.25)),
        "start": start.isoformat(),
        "n_labelled": int(rng.integers(400, 651)),
        "audit": _audit_parameters(rng),
    }
    public = {"min_week_n": min_week_n, "oncall_note": ONCALL_NOTES[oncall_guess]}
    return {"public": public, "hidden": hidden}


def _audit_parameters(rng: np.random.Generator) -> dict[str, Any]:
    groups = list(AUDIT_GROUPS)
    hurt, low = (str(g) for g in rng.choice(groups, size=2, replace=False))
    base = float(rng.uniform(0.84, 0.9))
    v3, v4 = {}, {}
    for g in groups:
        if g == low:
            v3[g] = base - float(rng.uniform(0.13, 0.17))
            v4[g] = v3[g] + float(rng.uniform(0.0, 0.02))
        elif g == hurt:
            v3[g] = base + float(rng.uniform(-0.01, 0.03))
            v4[g] = v3[g] - float(rng.uniform(0.065, 0.09))
        else:
            v3[g] = base + float(rng.uniform(-0.03, 0.03))
            v4[g] = v3[g] + float(rng.uniform(0.01, 0.04))
    return {
        "hurt_group": hurt,
        "low_group": low,
        "n_scenarios": int(rng.integers(420, 601)),
        "v3_pass_rate": {g: _round(v) for g, v in v3.items()},
        "v4_pass_rate": {g: _round(v) for g, v in v4.items()},
        "churn": _round(rng.uniform(0.35, 0.5)),  # P(fail -> pass) without a real change
    }


# ---------------------------------------------------------------------------------------
# Who writes in, when, about what, from which app (the skeleton: no text yet)
# ---------------------------------------------------------------------------------------


def _ramp(week: int, start: int, power: float = 1.0) -> float:
    """0 before ``start``, rising to 1 in the last week."""
    if week < start:
        return 0.0
    return float(((week - start + 1) / (WEEKS - start + 1)) ** power)


@dataclass(frozen=True)
class _Mix:
    languages: dict[str, float]
    intents: dict[str, float]
    clients: dict[str, float]
    terse: float


def _week_mix(hidden: dict[str, Any], week: int) -> _Mix:
    """What production sends in ``week`` (before anything is lost on the way to the log)."""
    languages = dict(hidden["prod_languages"])
    shift = float(hidden["reshuffle_share"]) * _ramp(week, int(hidden["reshuffle_week"]))
    languages["en"] -= shift
    languages[hidden["reshuffle_language"]] += shift
    intents = dict(hidden["intents"])
    new = float(hidden["new_slice_share_last_week"]) * _ramp(
        week, int(hidden["alarm_week"]), float(hidden["new_slice_ramp"]))
    if hidden["kind"] == "market":
        languages = {k: v * (1 - new) for k, v in languages.items()} | {
            hidden["new_language"]: new}
    elif hidden["kind"] == "product":
        intents = {k: v * (1 - new) for k, v in intents.items()} | {hidden["new_intent"]: new}
    clients = dict(hidden["eval_clients"])
    lo, hi = float(hidden["terse_first_week"]), float(hidden["terse_last_week"])
    terse = lo
    if hidden["missed"] == "query_tokens":
        terse = lo + (hi - lo) * _ramp(week, int(hidden["terse_week"]))
    else:
        web = clients["web"] + (float(hidden["web_last_week"]) - clients["web"]) * _ramp(
            week, int(hidden["client_week"]))
        scale = (1 - web) / (1 - clients["web"])
        clients = {"ios": clients["ios"] * scale, "android": clients["android"] * scale,
                   "web": web}
    return _Mix(languages, intents, clients, terse)


def _psi_codes(actual: np.ndarray, expected: np.ndarray, k: int,
               drop: int | None = None) -> float:
    """PSI over integer category codes 0..k-1: the union of the categories seen on either
    side, an empty share replaced by PSI_EPSILON, natural log. ``drop``: leave that
    category's term out (for the checks on what dominates a week's PSI)."""
    a = np.bincount(actual, minlength=k) / max(len(actual), 1)
    e = np.bincount(expected, minlength=k) / len(expected)
    seen = (a > 0) | (e > 0)
    if drop is not None:
        seen[drop] = False
    a = np.where(a == 0, PSI_EPSILON, a)[seen]
    e = np.where(e == 0, PSI_EPSILON, e)[seen]
    return float(np.sum((a - e) * np.log(a / e)))


def _daily_counts(rng: np.random.Generator, hidden: dict[str, Any]) -> np.ndarray:
    days = WEEKS * 7
    trend = 1.0 + float(hidden["growth"]) * np.arange(days) / days
    weekday = np.tile(np.array(WEEKDAY_FACTOR) * rng.uniform(0.95, 1.05, 7), WEEKS)
    mean = float(hidden["daily_volume"]) * trend * weekday * rng.lognormal(0.0, 0.07, days)
    return np.asarray(rng.poisson(mean))


def _codes(rng: np.random.Generator, shares: dict[str, float], names: tuple[str, ...],
           n: int) -> np.ndarray:
    p = np.array([shares.get(k, 0.0) for k in names], dtype=float)
    cumulative = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(names) - 1)


def _hour_cumulative(lang: str) -> np.ndarray:
    hours = np.arange(24)
    dist = np.minimum(np.abs(hours - HOUR_PEAK_UTC[lang]), 24 - np.abs(hours - HOUR_PEAK_UTC[lang]))
    w = np.exp(-0.5 * (dist / 4.0) ** 2) + 0.03
    return np.asarray(np.cumsum(w / w.sum()))


_HOUR_CUMULATIVE = [_hour_cumulative(lang) for lang in LANGUAGES]


def _hours(rng: np.random.Generator, language: np.ndarray) -> np.ndarray:
    u = rng.random(len(language))
    hours = np.zeros(len(language), dtype=int)
    for code, cumulative in enumerate(_HOUR_CUMULATIVE):
        m = language == code
        hours[m] = np.minimum(np.searchsorted(cumulative, u[m], side="right"), 23)
    return hours


@dataclass
class _Skeleton:
    """Requests before any text: day, week, language, intent and client codes, terse,
    the hour (UTC), and one uniform per request for the logging outage."""

    day: np.ndarray
    week: np.ndarray
    language: np.ndarray
    intent: np.ndarray
    client: np.ndarray
    terse: np.ndarray
    hour: np.ndarray
    u: np.ndarray

    def redraw_week(self, rng: np.random.Generator, hidden: dict[str, Any], k: int) -> None:
        m = self.week == k
        n = int(m.sum())
        mix = _week_mix(hidden, k)
        self.language[m] = _codes(rng, mix.languages, LANGUAGES, n)
        self.intent[m] = _codes(rng, mix.intents, INTENTS, n)
        self.client[m] = _codes(rng, mix.clients, CLIENTS, n)
        self.terse[m] = rng.random(n) < mix.terse
        self.hour[m] = _hours(rng, self.language[m])
        self.u[m] = rng.random(n)

    def subset(self, keep: np.ndarray) -> "_Skeleton":
        return _Skeleton(*(getattr(self, f.name)[keep] for f in fields(self)))


def _skeleton(rng: np.random.Generator, hidden: dict[str, Any]) -> _Skeleton:
    counts = _daily_counts(rng, hidden)
    day = np.repeat(np.arange(WEEKS * 7), counts)
    n = len(day)
    sk = _Skeleton(day, day // 7 + 1, np.zeros(n, dtype=int), np.zeros(n, dtype=int),
                   np.zeros(n, dtype=int), np.zeros(n, dtype=bool), np.zeros(n, dtype=int),
                   np.zeros(n))
    for k in range(1, WEEKS + 1):
        sk.redraw_week(rng, hidden, k)
    return sk


def _logged(sk: _Skeleton, hidden: dict[str, Any]) -> _Skeleton:
    """What reached the log. In the small week the log shipper stopped on Monday morning
    and nobody restarted it until the next Monday. In a logging-outage variant, the
    alarm week lost the eu-west region's logs for a few days: every request in a language
    other than English, and a share of the English ones."""
    small = int(hidden["small_week"])
    in_small = sk.week == small
    kept_small = (sk.day == 7 * (small - 1)) & (sk.hour < int(hidden["small_week_hours"]))
    keep = ~in_small | kept_small
    if hidden["cause"] == "logging_outage":
        o = hidden["outage"]
        first = 7 * (int(hidden["alarm_week"]) - 1) + int(o["start"])
        down = (sk.day >= first) & (sk.day < first + int(o["days"]))
        lost = (sk.language != LANGUAGES.index("en")) | (sk.u < float(o["en_lost"]))
        keep &= ~(down & lost)
    return sk.subset(keep)


def _weekly_psi(sk: _Skeleton, ev: "_EvalSkeleton") -> dict[int, dict[str, float]]:
    out = {}
    for k in range(1, WEEKS + 1):
        m = sk.week == k
        out[k] = {"language": _psi_codes(sk.language[m], ev.language, len(LANGUAGES)),
                  "intent": _psi_codes(sk.intent[m], ev.intent, len(INTENTS)),
                  "n": float(m.sum())}
    return out


def _story_visible(sk: _Skeleton, hidden: dict[str, Any], min_week_n: int,
                   ev: "_EvalSkeleton") -> bool:
    """Everything but the small week: the first alarm comes where and from what it is
    planted, the other feature stays quiet, and the missed input shows."""
    cause = hidden["cause"]
    planted = "intent" if hidden["kind"] == "product" else "language"
    other = "language" if planted == "intent" else "intent"
    small = int(hidden["small_week"])
    weekly = _weekly_psi(sk, ev)
    regular = [k for k in weekly if k != small]
    if any(weekly[k]["n"] < min_week_n for k in regular):
        return False
    first = next((k for k in regular if max(weekly[k]["language"], weekly[k]["intent"])
                  >= PSI_ALARM), None)
    if first is None or weekly[first][planted] < weekly[first][other] + 0.05:
        return False
    if max(weekly[k][other] for k in regular) > 0.18:
        return False
    alarm = int(hidden["alarm_week"])
    last = weekly[WEEKS]
    if cause == "new_traffic":
        if first < alarm or last[planted] < 0.25:
            return False
    elif cause == "epsilon":
        # The alarm is the minor language's epsilon term; without it the week is quiet.
        m = sk.week == first
        rest = _psi_codes(sk.language[m], ev.language, len(LANGUAGES),
                          drop=LANGUAGES.index(hidden["minor_language"]))
        if first >= int(hidden["reshuffle_week"]) or rest > 0.08:
            return False
    else:
        if first != alarm or weekly[first]["language"] < PSI_ALARM + 0.05:
            return False
        if max(weekly[k]["language"] for k in regular if k != alarm) > 0.16:
            return False
    if last["language"] < 0.03:
        return False
    # Against the first production week instead of the eval set, the number moves.
    w1 = sk.language[sk.week == (2 if small == 1 else 1)]
    w8 = sk.week == WEEKS
    if abs(_psi_codes(sk.language[w8], w1, len(LANGUAGES)) - last["language"]) < 0.01:
        return False
    if hidden["kind"] != "product":
        # Intent is stable: a chi-square test of eval vs. last week must not reject.
        table = np.array([np.bincount(ev.intent, minlength=len(INTENTS)),
                          np.bincount(sk.intent[w8], minlength=len(INTENTS))])
        table = table[:, table.sum(axis=0) > 0]
        if stats.chi2_contingency(table)[1] < 0.1:
            return False
    client = _psi_codes(sk.client[w8], ev.client, len(CLIENTS))
    return client >= 0.3 if hidden["missed"] == "client" else client <= 0.03


def _false_alarm_visible(sk: _Skeleton, hidden: dict[str, Any], ev: "_EvalSkeleton",
                         min_week_n: int) -> bool:
    m = sk.week == int(hidden["small_week"])
    top = max(_psi_codes(sk.language[m], ev.language, len(LANGUAGES)),
              _psi_codes(sk.intent[m], ev.intent, len(INTENTS)))
    return top >= PSI_ALARM + 0.02 and 20 <= int(m.sum()) < min_week_n


@dataclass
class _EvalSkeleton:
    language: np.ndarray
    intent: np.ndarray
    client: np.ndarray
    terse: np.ndarray


def _eval_skeleton(rng: np.random.Generator, hidden: dict[str, Any]) -> _EvalSkeleton:
    n = int(hidden["n_eval"])
    return _EvalSkeleton(_codes(rng, hidden["eval_languages"], LANGUAGES, n),
                         _codes(rng, hidden["intents"], INTENTS, n),
                         _codes(rng, hidden["eval_clients"], CLIENTS, n),
                         rng.random(n) < float(hidden["terse_eval"]))


_LANG_EFFECT = np.array([LANGUAGE_EFFECT.get(k, 0.0) for k in LANGUAGES])
_INTENT_EFFECT = np.array([INTENT_EFFECT.get(k, 0.0) for k in INTENTS])


def _accuracy_logit(hidden: dict[str, Any], language: np.ndarray, intent: np.ndarray,
                    client: np.ndarray, terse: np.ndarray) -> np.ndarray:
    base = _logit(float(hidden["base_accuracy"]))
    new = (language >= len(BASE_LANGUAGES)) | (intent >= len(BASE_INTENTS))
    web = client == CLIENTS.index("web")
    z = (base + _LANG_EFFECT[language] + _INTENT_EFFECT[intent]
         - float(hidden["terse_penalty"]) * terse - float(hidden["web_penalty"]) * web
         - float(hidden["new_slice_penalty"]) * new)
    return np.asarray(z, dtype=float)


def _cell_traffic(sk: _Skeleton, weeks: tuple[int, ...] = (WEEKS,)) -> np.ndarray:
    """Requests per (language, intent) cell in ``weeks``."""
    k = len(INTENTS)
    m = np.isin(sk.week, weeks)
    return np.bincount(sk.language[m] * k + sk.intent[m], minlength=len(LANGUAGES) * k)


def _reweighted(ev: _EvalSkeleton, correct: np.ndarray, traffic: np.ndarray
                ) -> tuple[float, float]:
    """The eval accuracy reweighted to ``traffic``'s covered (language, intent) cells, and
    the share of that traffic in uncovered cells."""
    k = len(INTENTS)
    eval_cell = ev.language * k + ev.intent
    n_cells = len(LANGUAGES) * k
    hits = np.bincount(eval_cell, weights=correct.astype(float), minlength=n_cells)
    size = np.bincount(eval_cell, minlength=n_cells)
    covered = size > 0
    acc = np.where(covered, hits / np.maximum(size, 1), 0.0)
    value = float((traffic * acc)[covered].sum() / traffic[covered].sum())
    return value, float(traffic[~covered].sum() / traffic.sum())


def _rise_explained(sk: _Skeleton, thumbs_down: np.ndarray, base_week: int
                    ) -> dict[str, float]:
    """Per input: how much lower last week's thumbs-down rate would be had that input kept
    its first regular week's mix (the other inputs as they are). ``query_tokens`` is read
    through ``terse``, which is what shortens a query."""
    last, base = sk.week == WEEKS, sk.week == base_week
    out = {}
    for name, codes in (("language", sk.language), ("intent", sk.intent),
                        ("client", sk.client), ("query_tokens", sk.terse.astype(int))):
        k = int(codes.max()) + 1
        n_last = np.bincount(codes[last], minlength=k)
        rate = np.bincount(codes[last], weights=thumbs_down[last].astype(float), minlength=k)
        rate = np.where(n_last > 0, rate / np.maximum(n_last, 1), 0.0)
        share = np.bincount(codes[base], minlength=k) / base.sum()
        out[name] = float(thumbs_down[last].mean() - (share * rate).sum())
    return out

# ---------------------------------------------------------------------------------------
# Text. Every random choice for a row comes from that row's pre-drawn uniforms ``u``
# (column j is the row's j-th uniform). The rows are written all at once: the bank is
# split into tables once, at import, and a row's text is put together from them with
# array operations; only the rarer edits (an opener, a dropped letter, lower case) touch
# one string at a time.
# ---------------------------------------------------------------------------------------


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _format_date(lang: str, day: dt.date, u: float) -> str:
    if lang == "en":
        return f"{day:%b} {day.day}" if u < 0.6 else f"{day:%d/%m}"
    if lang in ("es", "fr", "it"):
        month = MONTHS[lang][day.month - 1]
        return f"{day.day} de {month}" if lang == "es" else f"{day.day} {month}"
    if lang == "tr":
        return f"{day.day} {MONTHS['tr'][day.month - 1]}"
    if lang == "de":
        return f"{day:%d.%m.}"
    if lang == "pl":
        return f"{day:%d.%m}"
    return f"{day:%d/%m}"


_AMOUNTS = (89.0, 124.5, 149.99, 212.0, 238.4, 310.0, 389.9, 455.0, 612.3, 840.0, 1290.0)


def _format_amount(lang: str, u: float, v: float) -> str:
    value = _AMOUNTS[min(int(u * len(_AMOUNTS)), len(_AMOUNTS) - 1)]
    if lang == "en":
        return f"${value:,.2f}" if v < 0.6 else f"£{value:,.0f}"
    if lang == "pt":
        return "R$ " + f"{value * 5.4:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    if lang == "pl":
        return f"{value * 4.3:.0f} zł"
    if lang == "tr":
        return f"{value * 35:,.0f} TL".replace(",", ".")
    return f"{value:.2f}".replace(".", ",") + " €"


# Some customers paste the confirmation e-mail (or the whole thread) under the question.
FORWARDED = ("\n\n---------- Forwarded message ----------\nFrom: Wayline <no-reply@wayline.com>\n"
             "Subject: Your booking {pnr} is confirmed\n\nFlight {flight} · {date}\n"
             "Passengers: {pax} · Fare: Economy Classic · Total: {amount}\n"
             "Manage your trip: https://wayline.com/trips/{pnr}")
# What a customer tacks onto a search-style query.
TERSE_EXTRA = {"en": (" pls", " help", " urgent", " again", " asap", " today", " still"),
               "es": (" por favor", " ayuda", " urgente", " otra vez"),
               "de": (" bitte", " hilfe", " dringend", " schon wieder"),
               "fr": (" svp", " aide", " urgent", " encore"),
               "it": (" per favore", " aiuto", " urgente", " ancora"),
               "pt": (" por favor", " ajuda", " urgente"), "pl": (" pomocy", " pilne"),
               "tr": (" lütfen", " acil")}
# How a customer adds the booking reference to a question that does not name it.
REFERENCE = {"en": (" Booking ref {pnr}.", " My booking is {pnr}.", " (ref {pnr})",
                    " Ref: {pnr}"),
             "es": (" Reserva {pnr}.", " Localizador {pnr}.", " Mi reserva es {pnr}."),
             "de": (" Buchung {pnr}.", " Buchungsnummer {pnr}.", " Meine Buchung: {pnr}"),
             "fr": (" Dossier {pnr}.", " Réservation {pnr}.", " Ma réservation : {pnr}"),
             "it": (" Prenotazione {pnr}.", " Codice {pnr}.", " Il codice è {pnr}."),
             "pt": (" Reserva {pnr}.", " Localizador {pnr}."),
             "pl": (" Rezerwacja {pnr}.", " Numer rezerwacji {pnr}."),
             "tr": (" Rezervasyon {pnr}.", " PNR: {pnr}")}
_GREETED = ("Hi", "Hola", "Hallo", "Bonjour", "Buongiorno", "Oi", "Dzień", "Merhaba")

def tokens(text: str) -> int:
    """The assistant's token count for a query (words and punctuation, long words split)."""
    # Every word of seven letters or more is split every six: its extra tokens.
    return len(_TOKEN.findall(text)) + sum((len(w) - 1) // 6 for w in _LONG_WORD.findall(text))


def _token_pair(texts: Any) -> np.ndarray:
    """``tokens`` of each text as written and in lower case: shape (..., 2)."""
    flat = np.asarray(texts, dtype=object)
    out = np.array([(tokens(t), tokens(t.lower())) for t in flat.ravel()], dtype=np.int64)
    return out.reshape((*flat.shape, 2))


# The slots a template may name, as rows of a (slot, request) table; the last row is empty.
_SLOTS = ("pnr", "flight", "city", "date", "amount", "pax")
_EMPTY_SLOT = len(_SLOTS)
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class _Templates:
    """Templates split at their slots: template t is ``literal[t, 0]``, slot ``slot[t, 0]``,
    ``literal[t, 1]``, ... (its slots first, then empty ones). ``first`` and ``count`` give
    the templates of a (language, intent) pair; ``free`` says a template names no slot,
    ``no_pnr`` that it does not name the booking reference. ``greeted`` and ``opened``
    say what an opener does to a template that begins with ten letters or more (the
    longest greeting): nothing if it already greets, else the opener goes before its
    first letter in lower case (``opened`` is that beginning). ``head_tokens``,
    ``opened_tokens`` and ``body_tokens`` count the tokens of the first literal, of its
    opened form and of the other literals (as written, and in lower case)."""

    literal: np.ndarray
    slot: np.ndarray
    first: np.ndarray
    count: np.ndarray
    free: np.ndarray
    no_pnr: np.ndarray
    long_head: np.ndarray
    greeted: np.ndarray
    opened: np.ndarray
    head_tokens: np.ndarray
    opened_tokens: np.ndarray
    body_tokens: np.ndarray

    def choose(self, lang: np.ndarray, intent: np.ndarray, u: np.ndarray) -> np.ndarray:
        n = self.count[lang, intent]
        return np.asarray(self.first[lang, intent] + np.minimum((u * n).astype(int), n - 1))


def _split(template: str) -> tuple[list[str], list[int]]:
    """A template's literals and, between them, its slots. Every slot stands between
    characters that are no part of a word, so a query's tokens are those of its parts."""
    literals, slots = [""], []
    for literal, field, _, _ in string.Formatter().parse(template):
        literals[-1] += literal
        if field is not None:
            slots.append(_SLOTS.index(field))
            literals.append("")
    for j, (before, after) in enumerate(zip(literals[:-1], literals[1:], strict=True)):
        if (_WORD.match(before[-1:]) or _WORD.match(after[:1])
                or (j > 0 and not before)):
            raise ValueError(f"a slot touches a word or another slot in {template!r}")
    return literals, slots


def _templates(bank: dict[str, dict[str, tuple[str, ...]]]) -> _Templates:
    raw = [t for lang in LANGUAGES for intent in INTENTS for t in bank[lang][intent]]
    parts = [_split(t) for t in raw]
    width = max(len(slots) for _, slots in parts)
    literal = np.full((len(raw), width + 1), "", dtype=object)
    slot = np.full((len(raw), width), _EMPTY_SLOT)
    for i, (literals, slots) in enumerate(parts):
        literal[i, :len(literals)] = literals
        slot[i, :len(slots)] = slots
    count = np.array([[len(bank[lang][intent]) for intent in INTENTS] for lang in LANGUAGES])
    first = (np.cumsum(count.ravel()) - count.ravel()).reshape(count.shape)
    heads = [str(h) for h in literal[:, 0]]
    opened = np.array([h[:1].lower() + h[1:] for h in heads], dtype=object)
    return _Templates(literal, slot, first, count,
                      np.array(["{" not in t for t in raw]),
                      np.array(["{pnr}" not in t for t in raw]),
                      np.array([len(h) >= max(map(len, _GREETED)) for h in heads]),
                      np.array([h.startswith(_GREETED) for h in heads]),
                      opened, _token_pair(literal[:, 0]), _token_pair(opened),
                      _token_pair(literal[:, 1:]).sum(axis=1))


def _fill(templates: _Templates, t: np.ndarray, slots: np.ndarray, rows: np.ndarray,
          head: np.ndarray | None = None) -> np.ndarray:
    """Template ``t[i]`` filled with request ``rows[i]``'s slots (``head``: the text to
    start with instead of the template's first literal)."""
    text = np.array(templates.literal[t, 0] if head is None else head, dtype=object)
    for j in range(templates.slot.shape[1]):
        m = np.flatnonzero(templates.slot[t, j] != _EMPTY_SLOT)
        if not len(m):
            break
        tm = t[m]
        text[m] = text[m] + slots[templates.slot[tm, j], rows[m]] + templates.literal[tm, j + 1]
    return text


def _slot_tokens(templates: _Templates, t: np.ndarray, slot_tokens: np.ndarray,
                 rows: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """The tokens of the slots template ``t[i]`` names, for request ``rows[i]``."""
    return np.asarray(slot_tokens[templates.slot[t], lower[:, None].astype(int),
                                  rows[:, None]].sum(axis=1))


@dataclass(frozen=True)
class _Options:
    """Per language, the options a uniform picks from (as ``_pick`` does), and their
    tokens (as written, and in lower case)."""

    flat: np.ndarray
    first: np.ndarray
    count: np.ndarray
    tokens: np.ndarray

    @classmethod
    def of(cls, table: dict[str, tuple[str, ...]]) -> "_Options":
        count = np.array([len(table[lang]) for lang in LANGUAGES])
        flat = np.array([o for lang in LANGUAGES for o in table[lang]], dtype=object)
        return cls(flat, np.cumsum(count) - count, count, _token_pair(flat))

    def index(self, lang: np.ndarray, u: np.ndarray) -> np.ndarray:
        n = self.count[lang]
        return np.asarray(self.first[lang] + np.minimum((u * n).astype(int), n - 1))


def _halves(table: dict[str, tuple[str, ...]], slot: str) -> tuple[_Options, _Options]:
    """Options that name ``slot`` once, as the text before it and the text after it."""
    before = {k: tuple(o.split("{" + slot + "}")[0] for o in v) for k, v in table.items()}
    after = {k: tuple(o.split("{" + slot + "}")[1] for o in v) for k, v in table.items()}
    return _Options.of(before), _Options.of(after)


_FULL_TEMPLATES, _TERSE_TEMPLATES = _templates(FULL), _templates(TERSE)
_FORWARDED = _templates({lang: {intent: (FORWARDED,) for intent in INTENTS}
                         for lang in LANGUAGES})
_CITY, _OPENER, _TAIL = _Options.of(CITIES), _Options.of(OPENERS), _Options.of(TAILS)
_TERSE_EXTRA = _Options.of(TERSE_EXTRA)
_REFERENCE = _halves(REFERENCE, "pnr")
_CARRIER = np.array([c + " " for c in CARRIERS], dtype=object)
_NUMBER_TEXT = np.array([str(i) for i in range(10_000)], dtype=object)
_PAX_TEXT = np.array(["1", "2", "3", "4"], dtype=object)
_PNR_BYTES = np.frombuffer(_PNR_CHARS.encode(), dtype=np.uint8)
_EN = LANGUAGES.index("en")
# Every amount as each language writes it: [language, amount, the English "£" form].
_AMOUNT_TEXT = np.array([[[_format_amount(lang, (i + 0.5) / len(_AMOUNTS), v)
                           for v in (0.0, 0.9)] for i in range(len(_AMOUNTS))]
                         for lang in LANGUAGES], dtype=object)
_AMOUNT_TOKENS = _token_pair(_AMOUNT_TEXT)
_EPOCH = dt.date(1970, 1, 1).toordinal()
# A booking reference is one token, a flight two (carrier and number), passengers one.
_PNR_TOKENS, _FLIGHT_TOKENS, _PAX_TOKENS = 1, 2, 1
# Dates as each language writes them, and their tokens (as written, in lower case), for
# the days 2024-2029: [form, day], the form being 2 x language (+ 1: English's "03/02").
_DATE_FIRST = dt.date(2024, 1, 1).toordinal() - _EPOCH
_DATE_DAYS = 6 * 366
_DATE_TEXT = np.empty((2 * len(LANGUAGES), _DATE_DAYS), dtype=object)
_DATE_TOKENS = np.zeros((2 * len(LANGUAGES), _DATE_DAYS, 2), dtype=np.int64)
_DATE_DONE = np.zeros((2 * len(LANGUAGES), _DATE_DAYS), dtype=bool)


def _date_entry(form: int, day: int) -> tuple[str, int, int]:
    text = _format_date(LANGUAGES[form // 2], dt.date.fromordinal(_EPOCH + day),
                        0.9 if form % 2 else 0.0)
    return text, tokens(text), tokens(text.lower())


def _date_texts(lang: np.ndarray, day: np.ndarray, u: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """``_format_date`` of each (language, day since 1970, uniform), and its tokens (as
    written, in lower case); each (form, day) is formatted once, when it first comes up."""
    form = 2 * lang + ((lang == _EN) & (u >= 0.6))
    at = day - _DATE_FIRST
    if len(at) and (at.min() < 0 or at.max() >= _DATE_DAYS):  # outside the table
        found = [_date_entry(int(f), int(d)) for f, d in zip(form, day, strict=True)]
        texts = np.empty(len(found), dtype=object)
        texts[:] = [e[0] for e in found]
        return texts, np.array([e[1:] for e in found], dtype=np.int64).reshape(len(found), 2)
    missing = ~_DATE_DONE[form, at]
    if missing.any():
        for f, d in set(zip(form[missing].tolist(), at[missing].tolist(), strict=True)):
            text, as_is, lower = _date_entry(f, d + _DATE_FIRST)
            _DATE_TEXT[f, d], _DATE_TOKENS[f, d] = text, (as_is, lower)
            _DATE_DONE[f, d] = True
    return _DATE_TEXT[form, at], _DATE_TOKENS[form, at]


def _each(function: Any, texts: np.ndarray) -> np.ndarray:
    out = np.empty(len(texts), dtype=object)
    out[:] = [function(t) for t in texts]
    return out


def _opened(opener: str, text: str) -> str:
    if opener and not text.startswith(_GREETED):
        return opener + text[0].lower() + text[1:]
    return text


def _queries(rng: np.random.Generator, langs: np.ndarray, intents: np.ndarray,
             terse: np.ndarray, days: np.ndarray, casual: np.ndarray,
             paste: float) -> tuple[np.ndarray, np.ndarray]:
    """One query per request, and its ``tokens``: ``days`` is the day it was written
    (days since 1970). The tokens are counted from the parts the query is made of (no
    part runs into a word of the next), except where a dropped letter or an opener
    before a slot changed the text after the fact."""
    n = len(langs)
    u = rng.random((n, 16))
    chars = rng.integers(0, len(_PNR_CHARS), (n, 6))
    numbers = rng.integers(100, 9999, n)
    later = rng.integers(1, 60, n)
    langs, intents = np.asarray(langs, dtype=int), np.asarray(intents, dtype=int)
    short = np.flatnonzero(terse)
    full = np.flatnonzero(~np.asarray(terse, dtype=bool))
    terse_t = _TERSE_TEMPLATES.choose(langs[short], intents[short], u[short, 5])
    full_t = _FULL_TEMPLATES.choose(langs[full], intents[full], u[full, 5])
    # What each row adds to its template: a search-style query with no slot names the
    # reference, the flight or the city after it; a full one may give the reference in
    # a sentence of its own, and paste the booking's confirmation e-mail under it.
    v = u[short]
    after = np.where(_TERSE_TEMPLATES.free[terse_t] & (v[:, 13] < 0.8),
                     np.array([0, 0, 1, 2])[np.minimum((v[:, 14] * 4).astype(int), 3)],
                     _EMPTY_SLOT)
    w = u[full]
    reference = _FULL_TEMPLATES.no_pnr[full_t] & (w[:, 13] < 0.75)
    pasted = np.flatnonzero(w[:, 11] < paste)

    # The slots, written only for the rows that show them, and their tokens.
    need = np.zeros((len(_SLOTS) + 1, n), dtype=bool)
    for templates, t, rows in ((_TERSE_TEMPLATES, terse_t, short),
                               (_FULL_TEMPLATES, full_t, full)):
        for j in range(templates.slot.shape[1]):
            need[templates.slot[t, j], rows] = True
    need[after, short] = True
    need[0, full[reference]] = True
    need[:, full[pasted]] = True
    slots = np.full((len(_SLOTS) + 1, n), "", dtype=object)
    count = np.zeros((len(_SLOTS) + 1, 2, n), dtype=np.int64)
    r = np.flatnonzero(need[0])
    slots[0, r] = _ascii(_PNR_BYTES[chars[r]])
    count[0, :, r] = _PNR_TOKENS
    r = np.flatnonzero(need[1])
    slots[1, r] = _CARRIER[np.minimum((u[r, 0] * len(CARRIERS)).astype(int),
                                      len(CARRIERS) - 1)] + _NUMBER_TEXT[numbers[r]]
    count[1, :, r] = _FLIGHT_TOKENS
    r = np.flatnonzero(need[2])
    i = _CITY.index(langs[r], u[r, 1])
    slots[2, r], count[2, :, r] = _CITY.flat[i], _CITY.tokens[i]
    r = np.flatnonzero(need[3])
    slots[3, r], count[3, :, r] = _date_texts(langs[r], np.asarray(days)[r] + later[r],
                                              u[r, 2])
    r = np.flatnonzero(need[4])
    amount = (langs[r], np.minimum((u[r, 3] * len(_AMOUNTS)).astype(int), len(_AMOUNTS) - 1),
              ((langs[r] == _EN) & (u[r, 4] >= 0.6)).astype(int))
    slots[4, r], count[4, :, r] = _AMOUNT_TEXT[amount], _AMOUNT_TOKENS[amount]
    r = np.flatnonzero(need[5])
    slots[5, r] = _PAX_TEXT[(u[r, 12] * 4).astype(int)]
    count[5, :, r] = _PAX_TOKENS
    text = np.empty(n, dtype=object)
    found = np.zeros(n, dtype=np.int64)
    recount = np.zeros(n, dtype=bool)  # rows whose tokens are counted on the text itself

    if len(short):
        lang, tpl = langs[short], _TERSE_TEMPLATES
        low = (v[:, 7] < 0.7).astype(int)
        q = _fill(tpl, terse_t, slots, short)
        k = (tpl.head_tokens[terse_t, low] + tpl.body_tokens[terse_t, low]
             + _slot_tokens(tpl, terse_t, count, short, low) + count[after, low, short])
        m = np.flatnonzero(after != _EMPTY_SLOT)
        q[m] = q[m] + " " + slots[after[m], short[m]]
        m = np.flatnonzero(v[:, 10] < 0.35)
        i = _TERSE_EXTRA.index(lang[m], v[m, 11])
        q[m] = q[m] + _TERSE_EXTRA.flat[i]
        k[m] += _TERSE_EXTRA.tokens[i, low[m]]
        for row in np.flatnonzero(v[:, 15] < 0.12).tolist():  # a dropped letter
            if len(q[row]) > 8:
                j = 1 + int(v[row, 9] * (len(q[row]) - 2))
                q[row] = q[row][:j] + q[row][j + 1:]
                recount[short[row]] = True
        m = np.flatnonzero(v[:, 6] < 0.3)
        marks = v[m, 8] < 0.7
        q[m] = q[m] + np.where(marks, "?", "??").astype(object)
        k[m] += 2 - marks
        m = np.flatnonzero(low)
        q[m] = _each(str.lower, q[m])
        text[short], found[short] = q, k

    if len(full):
        lang, tpl = langs[full], _FULL_TEMPLATES
        low = (w[:, 10] < np.asarray(casual)[full]).astype(int)
        i = _OPENER.index(lang, w[:, 8])
        opener = _OPENER.flat[i]
        opening = (w[:, 6] < 0.35) & (opener != "")
        # A greeting before a long beginning goes in as the template is filled; before a
        # short one (which a slot may complete into a greeting) once it is.
        head = np.array(tpl.literal[full_t, 0], dtype=object)
        k = (tpl.head_tokens[full_t, low] + tpl.body_tokens[full_t, low]
             + _slot_tokens(tpl, full_t, count, full, low))
        m = np.flatnonzero(opening & tpl.long_head[full_t] & ~tpl.greeted[full_t])
        head[m] = opener[m] + tpl.opened[full_t[m]]
        k[m] += (_OPENER.tokens[i[m], low[m]] + tpl.opened_tokens[full_t[m], low[m]]
                 - tpl.head_tokens[full_t[m], low[m]])
        q = _fill(tpl, full_t, slots, full, head)
        m = np.flatnonzero(reference)
        before, behind = _REFERENCE
        a, b = before.index(lang[m], w[m, 14]), behind.index(lang[m], w[m, 14])
        q[m] = q[m] + before.flat[a] + slots[0, full[m]] + behind.flat[b]
        k[m] += before.tokens[a, low[m]] + _PNR_TOKENS + behind.tokens[b, low[m]]
        m = np.flatnonzero(opening & ~tpl.long_head[full_t])
        q[m] = [_opened(o, x) for o, x in zip(opener[m], q[m], strict=True)]
        recount[full[m]] = True
        m = np.flatnonzero(w[:, 7] < 0.25)
        i = _TAIL.index(lang[m], w[m, 9])
        q[m] = q[m] + _TAIL.flat[i]
        k[m] += _TAIL.tokens[i, low[m]]
        m = np.flatnonzero(low)
        lowered = [x.lower() for x in q[m]]
        q[m] = [x.rstrip(".") for x in lowered]
        k[m] -= np.fromiter(map(len, lowered), dtype=np.int64, count=len(m)) - np.fromiter(
            map(len, q[m]), dtype=np.int64, count=len(m))  # a full stop is a token
        if len(pasted):
            rows = full[pasted]
            block = _fill(_FORWARDED, np.zeros(len(pasted), dtype=int), slots, rows)
            times = 1 + (w[pasted, 12] < 0.3).astype(int) + (w[pasted, 12] < 0.08).astype(int)
            q[pasted] = q[pasted] + block * times
            zero = np.zeros(len(pasted), dtype=int)
            k[pasted] += times * (_FORWARDED.head_tokens[0, 0] + _FORWARDED.body_tokens[0, 0]
                                  + _slot_tokens(_FORWARDED, zero, count, rows, zero))
        text[full], found[full] = q, k

    for row in np.flatnonzero(recount).tolist():
        found[row] = tokens(text[row])
    return text, found



# ---------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _ascii(table: np.ndarray) -> np.ndarray:
    """Each row of a (rows, width) table of ASCII codes as a string."""
    n, width = table.shape
    out = np.empty((n, width + 1), dtype=np.uint8)
    out[:, :width], out[:, width] = table, ord("\n")
    strings = np.empty(n, dtype=object)
    strings[:] = out.tobytes().decode("ascii").split("\n")[:-1]
    return strings


def _labels(prefix: str, values: np.ndarray, digits: int, base: int = 16) -> np.ndarray:
    """``prefix`` and each value written in ``digits`` digits (of base 16 or 10)."""
    n = len(values)
    out = np.empty((n, len(prefix) + digits), dtype=np.uint8)
    out[:, :len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    power = base ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    out[:, len(prefix):] = _HEX[(np.asarray(values, dtype=np.int64)[:, None] // power) % base]
    return _ascii(out)


def _stamps(when: np.ndarray) -> np.ndarray:
    """ISO 8601 time stamps in UTC, to the second: 2026-02-02T09:15:00Z."""
    day, second = np.divmod(np.asarray(when).astype("datetime64[s]").astype(np.int64), 86400)
    first = int(day.min()) if len(day) else 0
    days = np.arange(first, int(day.max()) + 1 if len(day) else first).astype("datetime64[D]")
    dates = np.frombuffer(np.datetime_as_string(days).astype("S10").tobytes(),
                          dtype=np.uint8).reshape(-1, 10)
    out = np.empty((len(day), 20), dtype=np.uint8)
    out[:, :10] = dates[day - first]
    out[:, 10], out[:, 13], out[:, 16], out[:, 19] = ord("T"), ord(":"), ord(":"), ord("Z")
    hour, rest = np.divmod(second, 3600)
    for column, value in ((11, hour), (14, rest // 60), (17, rest % 60)):
        out[:, column], out[:, column + 1] = _HEX[value // 10], _HEX[value % 10]
    return _ascii(out)


def _names(names: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.asarray(np.array(names, dtype=object)[codes], dtype=object)


def _production(rng: np.random.Generator, hidden: dict[str, Any], sk: _Skeleton
                ) -> dict[str, np.ndarray]:
    """The logs' columns in time order, with ``_correct`` and ``_week`` (not logged)."""
    n = len(sk.day)
    correct = rng.random(n) < _sigmoid(_accuracy_logit(hidden, sk.language, sk.intent,
                                                       sk.client, sk.terse))
    seconds = sk.day * 86400 + sk.hour * 3600 + rng.integers(0, 3600, n)
    when = np.datetime64(hidden["start"], "s") + seconds.astype("timedelta64[s]")
    days = np.datetime64(hidden["start"], "D").astype(np.int64) + sk.day
    drifted = int(hidden["terse_week"]) if hidden["missed"] == "query_tokens" else WEEKS + 1
    casual = np.where(sk.week >= drifted, 0.3, 0.1)
    queries, counts = _queries(rng, sk.language, sk.intent, sk.terse, days, casual, 0.05)
    wrong = ~correct
    money = np.isin(sk.intent, [INTENTS.index("cancellation_refund"), INTENTS.index("payment")])
    # Re-drawn (boundedly) until the missed input stands out from the others by far.
    base_week = 2 if int(hidden["small_week"]) == 1 else 1
    for _ in range(50):
        thumbs_down = rng.random(n) < np.where(wrong, 0.26, 0.03)
        explained = _rise_explained(sk, thumbs_down, base_week)
        planted = explained.pop(hidden["missed"])
        if planted >= 0.009 and planted >= 2.5 * max(*explained.values(), 0.0):
            break
    escalated = rng.random(n) < np.where(wrong, 0.13, 0.015) + 0.04 * money
    order = np.argsort(seconds, kind="stable")
    ids = rng.choice(16 ** 10, size=n, replace=False)
    return {
        "request_id": _labels("req_", ids, 10),
        "timestamp": _stamps(when[order]),
        "client": _names(CLIENTS, sk.client[order]),
        "language": _names(LANGUAGES, sk.language[order]),
        "intent": _names(INTENTS, sk.intent[order]),
        "query": queries[order],
        "query_tokens": counts[order],
        "thumbs_down": thumbs_down[order].astype(int),
        "escalated": escalated[order].astype(int),
        "_correct": correct[order].astype(int),
        "_week": sk.week[order],
    }


def _eval_frame(rng: np.random.Generator, hidden: dict[str, Any], ev: _EvalSkeleton,
                correct: np.ndarray) -> pd.DataFrame:
    n = len(ev.language)
    back = rng.integers(12, 60, n)
    added = np.asarray(np.datetime64(hidden["start"], "D").astype(np.int64) - back).astype(
        "datetime64[D]")
    queries, counts = _queries(rng, ev.language, ev.intent, ev.terse, added.astype(np.int64),
                               np.zeros(n), 0.02)
    intent = ev.intent
    # Sorted by the day it was added, then by intent (stably, as a sort_values would).
    order = np.lexsort((_INTENT_RANK[intent], added))
    return pd.DataFrame({
        "item_id": _labels("EV-", np.arange(1, n + 1), 4, 10),
        "added_on": np.datetime_as_string(added[order], unit="D").astype(object),
        "client": _names(CLIENTS, ev.client[order]),
        "language": _names(LANGUAGES, ev.language[order]),
        "intent": _names(INTENTS, intent[order]),
        "query": queries[order],
        "query_tokens": counts[order],
        "correct": correct[order].astype(int),
    })


_INTENT_RANK = np.argsort(np.argsort(np.array(INTENTS)))  # an intent's place in name order


# The audit's groups in the order a groupby lists them (sorted).
_AUDIT_SORTED = np.argsort(np.array(AUDIT_GROUPS))


def _audit_frame(rng: np.random.Generator, hidden: dict[str, Any]) -> pd.DataFrame:
    a = hidden["audit"]
    start = np.datetime64(hidden["start"], "s")
    frozen = start - np.timedelta64(9, "D")
    rerun = start + np.timedelta64(7 * WEEKS - 3, "D")
    n = int(a["n_scenarios"])
    for _ in range(200):
        v3 = np.empty((len(AUDIT_GROUPS), n), dtype=bool)
        v4 = np.empty_like(v3)
        for i, g in enumerate(AUDIT_GROUPS):
            p3, p4 = float(a["v3_pass_rate"][g]), float(a["v4_pass_rate"][g])
            b = float(a["churn"]) * (1 - max(0.0, p3 - p4) * 3)
            keep = 1 - (p3 - p4 + (1 - p3) * b) / p3
            v3[i] = rng.random(n) < p3
            v4[i] = np.where(v3[i], rng.random(n) < keep, rng.random(n) < b)
        # Per group (in sorted order, as a groupby gives them) the pass rates.
        r3, r4 = v3.mean(axis=1)[_AUDIT_SORTED], v4.mean(axis=1)[_AUDIT_SORTED]
        drop = r3 - r4
        ranked = np.sort(drop)
        p2f, f2p = int((v3 & ~v4).sum()), int((~v3 & v4).sum())
        groups = [AUDIT_GROUPS[i] for i in _AUDIT_SORTED]
        if (groups[int(np.argmax(drop))] == a["hurt_group"]
                and groups[int(np.argmin(r4))] == a["low_group"]
                and ranked[-1] - ranked[-2] > 0.02
                and min(p2f, f2p) >= 100 and p2f != f2p
                and not {p2f, f2p} & set(MIN_WEEK_N_CHOICES)):
            break
    rows = len(AUDIT_GROUPS) * n
    ids = rng.choice(90000, size=rows, replace=False) + 10000
    item = _labels("AUD-", ids, 5, 10)
    scenario = np.tile(_labels("S", np.arange(1, n + 1), 3, 10), len(AUDIT_GROUPS))
    group = np.repeat(np.array(AUDIT_GROUPS, dtype=object), n)
    # v3 listed by item id; the v4 re-run came back in completion order, not in item order.
    first, second = np.argsort(ids, kind="stable"), rng.permutation(rows)
    both = np.concatenate([first, second])
    step = np.arange(rows, dtype=np.int64)
    run_at = np.concatenate([frozen + (9 * step).astype("timedelta64[s]"),
                             rerun + (7 * step).astype("timedelta64[s]")])
    return pd.DataFrame({
        "item_id": item[both],
        "scenario_id": scenario[both],
        "group": group[both],
        "model": np.repeat(np.array(["v3", "v4"], dtype=object), rows),
        "run_at": _stamps(run_at),
        "passed": np.concatenate([v3.ravel()[first], v4.ravel()[second]]).astype(int),
    })


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The variant's data files. Pure: writes nothing; deterministic given the rng."""
    hidden = params["hidden"]
    min_week_n = int(params["public"]["min_week_n"])
    ev = _eval_skeleton(rng, hidden)
    # Re-draw (a bounded, deterministic number of times) until the plant shows: first the
    # story, then the false alarm in the small week (re-drawing that week alone).
    full = _skeleton(rng, hidden)
    for _ in range(200):
        if _story_visible(_logged(full, hidden), hidden, min_week_n, ev):
            break
        full = _skeleton(rng, hidden)
    for _ in range(500):
        if _false_alarm_visible(_logged(full, hidden), hidden, ev, min_week_n):
            break
        full.redraw_week(rng, hidden, int(hidden["small_week"]))
    sk = _logged(full, hidden)
    z_eval = _accuracy_logit(hidden, ev.language, ev.intent, ev.client, ev.terse)
    last, every_week = _cell_traffic(sk), _cell_traffic(sk, tuple(range(1, WEEKS + 1)))
    for _ in range(3000):
        correct = rng.random(len(z_eval)) < _sigmoid(z_eval)
        reweighted, uncovered = _reweighted(ev, correct, last)
        pooled, pooled_uncovered = _reweighted(ev, correct, every_week)
        if (abs(reweighted - float(correct.mean())) >= 0.006
                and max(abs(reweighted - pooled), abs(uncovered - pooled_uncovered)) >= 0.003):
            break

    logs = _production(rng, hidden, sk)
    last_rows = np.flatnonzero(logs["_week"] == WEEKS)
    n_lab = min(int(hidden["n_labelled"]), len(last_rows) - 50)
    last_correct = logs["_correct"]
    for _ in range(100):
        chosen = np.sort(rng.choice(last_rows, size=n_lab, replace=False))
        # The sample must show what the reweighted eval cannot (it does, in expectation).
        if last_correct[chosen].mean() <= reweighted - 0.025:
            break
    labelled = pd.DataFrame({"request_id": logs["request_id"][chosen],
                             "language": logs["language"][chosen],
                             "intent": logs["intent"][chosen],
                             "correct": last_correct[chosen]})
    return {
        "eval_set.csv": _eval_frame(rng, hidden, ev, correct),
        "production_logs.csv": pd.DataFrame(
            {k: v for k, v in logs.items() if not k.startswith("_")}),
        "labelled_sample.csv": labelled,
        "audit_results.csv": _audit_frame(rng, hidden),
    }
