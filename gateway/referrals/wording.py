"""The wording of every referral SMS, by language (fr and en; bm for reporters).

Kept apart from :mod:`gateway.referrals.texts`, which assembles and fits the
texts, so translators can work on words alone. The Bambara (bm) texts are
drafts NOT yet validated by a native speaker.
"""

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "high": "RISQUE ELEVE", "medium": "RISQUE MOYEN", "low": "RISQUE FAIBLE",
        "separated": "enfant séparé", "displaced": "enfant déplacé", "abuse": "maltraitance",
        "exploitation": "exploitation", "street": "enfant des rues", "other": "autre",
        "girl": "fille", "boy": "garçon", "both": "filles et garçons", "sex?": "sexe inconnu",
        "age": "{} ans", "age?": "âge inconnu", "n1": "1 enfant", "n": "{} enfants",
        "n?": "nombre inconnu", "place": "Lieu", "landmark": "Repère",
        "consent": "Rappel signalant: ", "yes": "oui", "no": "non",
        "answer": "Rep: OK {r} / NON {r} raison / INFO {r}", "tel": "Tel signalant: {}",
        "notel": "Numéro du signalant non communiqué.", "backup": "suppléant",
        "notel_ok": "Numéro du signalant: envoyez d'abord OK {r}.",
        "supervisor": "superviseur",
        "escalation": "RELAIS RELANCE {level}: {r} sans réponse depuis {wait}.",
        "reminder": "RELAIS: le cas {r} est ouvert depuis {days}. Donnez des nouvelles: "
        "NOTE {r} texte, ou FIN {r} issue.",
        "day": "{} jour", "days": "{} jours",
        "reunified": "réunifié", "placed_in_care": "placé", "not_found": "introuvable",
        "referred_to_services": "orienté", "false_alarm": "fausse alerte",
    },
    "en": {
        "high": "HIGH RISK", "medium": "MEDIUM RISK", "low": "LOW RISK",
        "separated": "separated child", "displaced": "displaced child", "abuse": "abuse",
        "exploitation": "exploitation", "street": "street child", "other": "other",
        "girl": "girl", "boy": "boy", "both": "girls and boys", "sex?": "sex unknown",
        "age": "age {}", "age?": "age unknown", "n1": "1 child", "n": "{} children",
        "n?": "number unknown", "place": "Place", "landmark": "Landmark",
        "consent": "Reporter callback: ", "yes": "yes", "no": "no",
        "answer": "Reply: OK {r} / NO {r} reason / INFO {r}", "tel": "Reporter tel: {}",
        "notel": "Reporter number not shared.", "backup": "backup", "supervisor": "supervisor",
        "notel_ok": "Reporter number: send OK {r} first.",
        "escalation": "RELAIS ESCALATION {level}: {r} unanswered for {wait}.",
        "reminder": "RELAIS: case {r} has been open for {days}. Send news: NOTE {r} text, "
        "or CLOSE {r} outcome.",
        "day": "{} day", "days": "{} days",
        "reunified": "reunified", "placed_in_care": "placed in care", "not_found": "not found",
        "referred_to_services": "referred to services", "false_alarm": "false alarm",
    },
}  # fmt: skip

REPLIES: dict[str, dict[str, str]] = {
    "fr": {
        "accepted": "Merci, vous suivez {r}. Le signalant sera informé. Pour clôturer: "
        "FIN {r} issue (réunifié, placé, orienté, introuvable, fausse alerte).",
        "accepted_untold": "Merci, vous suivez {r}. Le signalant n'a pas demandé de nouvelles "
        "par SMS. Pour clôturer: FIN {r} issue.",
        "accepted_in_console": "RELAIS: {r} a été accepté pour vous par l'équipe dans la "
        "console. Vous suivez ce cas. Pour clôturer: FIN {r} issue.",
        "already_accepted_by_other": "{r} est déjà pris en charge par un autre intervenant. "
        "Aucune action requise. Merci.",
        "rejected_rerouted": "{r} refusé, c'est noté. Le cas est transmis à un autre point "
        "focal. Merci.",
        "rejected_no_one": "{r} refusé, c'est noté. Aucun autre point focal n'est prévu: les "
        "coordinateurs doivent le réattribuer. Merci.",
        "info_no_number": "{r}: le numéro du signalant ne peut pas être communiqué.",
        "note_saved": "Note ajoutée au cas {r}. Merci.",
        "transferred": "{r} transféré à {agency}. Le cas ne vous est plus attribué. Merci.",
        "unknown_agency": "{r} non transféré: agence {agency} inconnue. Vérifiez son code "
        "auprès de votre coordinateur.",
        "unknown_agency_codes": "{r} non transféré: agence {agency} inconnue. Codes: "
        "{agencies}.",
        "same_agency": "{r} est déjà à {agency}. Pour un autre point focal de votre agence, "
        "appelez votre coordinateur.",
        "nobody_at_agency": "{r} non transféré: personne n'est disponible à {agency}. "
        "Choisissez une autre agence ou appelez votre coordinateur.",
        "closed": "{r} clôturé ({outcome}). Merci pour votre travail.",
        "help": "Rep: OK REF (accepter), NON REF raison, INFO REF, NOTE REF texte, "
        "TRANSFERT REF agence, FIN REF issue, LISTE (vos cas).",
        "unknown_reference": "Référence {r} inconnue. Vérifiez les 6 caractères ou envoyez "
        "LISTE.",
        "not_yours": "Le cas {r} ne vous est pas attribué. Envoyez LISTE pour voir vos cas.",
        "moved_on": "Le cas {r} a été transféré à {agency}: vous ne le suivez plus. Envoyez "
        "LISTE pour voir vos cas.",
        "wrong_syntax": "Commande incomplète. Format: {usage}",
        "not_allowed": "{keyword} impossible: le cas {r} est {status}.",
        "accept_first": "{keyword} impossible: le cas {r} n'est pas encore accepté. Envoyez "
        "d'abord OK {r}.",
        "stop_focal": "Vous êtes point focal de Relais: pour ne plus recevoir de cas, "
        "demandez à votre coordinateur de vous marquer inactif.",
        "list": "Vos cas ouverts: ", "list_empty": "Aucun cas ouvert.",
        "accept": "OK REF", "reject": "NON REF raison", "info": "INFO REF",
        "note": "NOTE REF texte", "transfer": "TRANSFERT REF agence",
        "close": "FIN REF issue (réunifié, placé, orienté, introuvable, fausse alerte)",
        "list_usage": "LISTE", "help_usage": "AIDE",
    },
    "en": {
        "accepted": "Thank you, you follow {r}. The reporter will be told. To close: "
        "CLOSE {r} outcome (reunified, placed, referred, not found, false alarm).",
        "accepted_untold": "Thank you, you follow {r}. The reporter asked for no SMS news. "
        "To close: CLOSE {r} outcome.",
        "accepted_in_console": "RELAIS: {r} was accepted for you by staff in the console. "
        "You now follow this case. To close: CLOSE {r} outcome.",
        "already_accepted_by_other": "{r} is already handled by someone else. No action "
        "needed. Thank you.",
        "rejected_rerouted": "{r} refused, noted. The case goes to another focal point. "
        "Thank you.",
        "rejected_no_one": "{r} refused, noted. No other focal point is planned: the "
        "coordinators must reassign it. Thank you.",
        "info_no_number": "{r}: the reporter's number cannot be shared.",
        "note_saved": "Note added to case {r}. Thank you.",
        "transferred": "{r} transferred to {agency}. It is no longer assigned to you. "
        "Thank you.",
        "unknown_agency": "{r} not transferred: unknown agency {agency}. Ask your "
        "coordinator for its code.",
        "unknown_agency_codes": "{r} not transferred: unknown agency {agency}. Codes: "
        "{agencies}.",
        "same_agency": "{r} is already with {agency}. For another focal point of your "
        "agency, call your coordinator.",
        "nobody_at_agency": "{r} not transferred: nobody is available at {agency}. Choose "
        "another agency or call your coordinator.",
        "closed": "{r} closed ({outcome}). Thank you for your work.",
        "help": "Reply: OK REF (accept), NO REF reason, INFO REF, NOTE REF text, "
        "TRANSFER REF agency, CLOSE REF outcome, LIST (your cases).",
        "unknown_reference": "Unknown reference {r}. Check the 6 characters or send LIST.",
        "not_yours": "Case {r} is not assigned to you. Send LIST to see your cases.",
        "moved_on": "Case {r} was transferred to {agency}: you no longer follow it. Send LIST "
        "to see your cases.",
        "wrong_syntax": "Incomplete command. Format: {usage}",
        "not_allowed": "{keyword} not possible: case {r} is {status}.",
        "accept_first": "{keyword} not possible: case {r} is not accepted yet. Send OK {r} "
        "first.",
        "stop_focal": "You are a Relais focal point: to stop receiving cases, ask your "
        "coordinator to mark you inactive.",
        "list": "Your open cases: ", "list_empty": "No open cases.",
        "accept": "OK REF", "reject": "NO REF reason", "info": "INFO REF",
        "note": "NOTE REF text", "transfer": "TRANSFER REF agency",
        "close": "CLOSE REF outcome (reunified, placed, referred, not found, false alarm)",
        "list_usage": "LIST", "help_usage": "HELP",
    },
}  # fmt: skip

# fmt: off
REPORTER: dict[str, dict[str, str]] = {
    "fr": {
        "handled": "Un travailleur social s'occupe de votre signalement {r}. Merci.",
        "closed": "Votre signalement {r} est clôturé. Merci d'aider à protéger les enfants.",
        "status_received": "Signalement {r}: reçu. Il sera pris en charge dès que possible.",
        "status_in_progress": "Signalement {r}: en cours de traitement par un travailleur social.",
        "status_closed": "Signalement {r}: clôturé. Merci.",
        "status_unknown": "Aucun signalement {r} trouvé pour ce numéro. Vérifiez la référence.",
        "follow_up": "Merci, message transmis pour le signalement {r}. Nouvelle alerte: envoyez "
        "ALERTE. Danger immédiat: appelez le 17.",
    },
    "en": {
        "handled": "A social worker is handling your report {r}. Thank you.",
        "closed": "Your report {r} is closed. Thank you for helping protect children.",
        "status_received": "Report {r}: received. It will be handled as soon as possible.",
        "status_in_progress": "Report {r}: being handled by a social worker.",
        "status_closed": "Report {r}: closed. Thank you.",
        "status_unknown": "No report {r} found for this number. Check the reference.",
        "follow_up": "Thank you, your message was passed on for report {r}. New alert: send "
        "ALERT. Immediate danger: call 17.",
    },
    "bm": {  # UNVALIDATED Bambara drafts: to be checked by a native speaker
        "handled": "Baarakɛla dɔ bɛ i ka kibaru {r} ɲɛnabɔ. I ni ce.",
        "closed": "I ka kibaru {r} datugura. I ni ce ka denmisɛnw lakana.",
        "status_received": "I ka kibaru {r} sɔrɔla. A bɛna ɲɛnabɔ joona.",
        "status_in_progress": "I ka kibaru {r}: baarakɛla dɔ bɛ a ɲɛnabɔ la.",
        "status_closed": "I ka kibaru {r} datugura. I ni ce.",
        "status_unknown": "Kibaru {r} ma sɔrɔ nin nimɔrɔ in na. I ka nimɔrɔ lajɛ.",
        "follow_up": "I ni ce, i ka cikan ci ra kibaru {r} kan. Kunnafoni kura: ALERTE ci. "
        "Farati: 17 wele.",
    },
}
# fmt: on
