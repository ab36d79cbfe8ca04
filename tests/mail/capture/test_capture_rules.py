"""One test per rule in nudger/mail/capture_rules.toml: every phrase has an example
sentence here that the full recogniser turns into that kind (or into nothing, for the
ignore rules), and every ATS domain is recognised as its source, never as the company."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from nudger.mail.capture.recognise import recognise_bytes
from nudger.mail.capture.rules import default_rules

ZONE = ZoneInfo("Europe/Berlin")
RULES = default_rules()

EXAMPLES = {
    # ignore
    r"\b(personal data|your data|your (candidate )?profile|your application data)\b[^.!\n]"
    r"{0,60}\b(will|is going to|are going to) be (deleted|erased|removed|anonymi[sz]ed)\b|"
    r"\b(renew|extend) your consent\b":
        "You applied at Acme Robotics; your personal data will be deleted in 30 days.",
    r"\b(daten|profil|bewerbungsunterlagen)\b[^.!\n]{0,60}\b(werden|wird)\b[^.!\n]{0,40}"
    r"\b(gelöscht|anonymisiert)\b|\beinwilligung (verlängern|erneuern)\b":
        "Ihre Bewerbung bei Acme Robotics: Ihre Daten werden in 30 Tagen gelöscht.",
    r"\b(données|profil)\b[^.!\n]{0,60}\bseront (supprimée?s|effacée?s|anonymisée?s)\b|"
    r"\brenouveler (votre|ton) consentement\b|\bconservation de (vos|tes) données\b":
        "Votre candidature chez Acme Robotics : vos données seront supprimées dans 30 jours.",
    r"\b(datos|perfil)\b[^.!\n]{0,60}\bserán (eliminados|borrados|suprimidos|anonimizados)"
    r"\b|\brenovar (tu|su) consentimiento\b|\bconservación de (tus|sus) datos\b":
        "Tu candidatura en Acme Robotics: tus datos serán eliminados en 30 días.",
    "new jobs? (matching|for) (your|you)": "We found 12 new jobs matching your search.",
    "jobs? (you may|you might) (be interested|like)": "Jobs you may be interested in this week.",
    "job alert": "This is your daily job alert for Engineer.",
    "recommended jobs": "Your recommended jobs for today.",
    "jobs? recommended for you": "Here are jobs recommended for you.",
    "weekly digest": "Your weekly digest of career news.",
    "newsletter": "Welcome to our careers newsletter.",
    "your (order|receipt|invoice)": "Your receipt for the CV review is attached.",
    "order confirmation": "Order confirmation for your purchase.",
    "payment received": "Payment received, thank you.",
    "webinar": "Join our webinar about interviews.",
    # (not "we reviewed your profile … decided not to proceed": a rejection)
    "\\bviewed your profile": "A recruiter viewed your profile.",
    "endorsed you": "Sam endorsed you for Python.",
    "new connection": "You have a new connection.",
    "congratulate": "Congratulate Sam on a new position.",
    "is hiring\\b(?!.*your application)": "Acme Robotics is hiring backend engineers.",
    "apply now": "Great roles open: apply now.",
    "unsubscribe from (job )?alerts": "Unsubscribe from job alerts at any time.",
    "neue jobs": "Wir haben neue Jobs für deine Suche.",
    "jobs für dich": "Passende Jobs für dich in Berlin.",
    "jobempfehlung": "Deine Jobempfehlung des Tages.",
    "passende stellenangebote": "Hier sind passende Stellenangebote.",
    "jobagent": "Dein Jobagent hat neue Treffer.",
    "nouvelles offres": "Découvrez 8 nouvelles offres.",
    "alerte emploi": "Votre alerte emploi du jour.",
    "offres qui pourraient": "Des offres qui pourraient vous intéresser.",
    "nuevos empleos": "Tenemos nuevos empleos para tu búsqueda.",
    "alerta de empleo": "Tu alerta de empleo diaria.",
    "ofertas que te pueden": "Ofertas que te pueden interesar.",
    # ignore: events for job seekers, not about an application of yours
    '\\b(career|careers|job|jobs|hiring|recruiting|recruitment|graduate) (fa'
        'ir|expo|open day|open house)\\b':
        'Meet 40 employers at our career fair on Thursday.',
    '\\b(info(rmation)? session|networking (event|evening|night))\\b':
        'Join our information session for graduates.',
    '\\b(karriere|job|jobs|recruiting|absolventen|hochschul)(messe|tag|event)\\b':
        'Besuchen Sie uns auf der Karrieremesse.',
    '\\btag der offenen tür\\b':
        'Wir laden zum Tag der offenen Tür ein.',
    '\\b(salon|forum) (de l.emploi|du recrutement|des métiers|des entreprises|emploi)\\b':
        "Retrouvez-nous au salon de l'emploi samedi.",
    '\\b(job ?dating|journée portes ouvertes)\\b':
        'Inscrivez-vous à notre job dating.',
    '\\bferia (de|del) (empleo|empleabilidad|trabajo)\\b':
        'Te esperamos en la feria de empleo.',
    '\\bjornada de puertas abiertas\\b':
        'Ven a nuestra jornada de puertas abiertas.',
    # advice about interviews and applications: no interview of yours
    '\\bmock interviews?\\b|\\binterview (tips|preparation|prep|skills|workshop|training'
    '|coaching|guide|masterclass)\\b|\\bhow to (ace|prepare for|nail|succeed in) (your|'
    'an|the|a) (\\w+ )?interview':
        'Join our mock interview workshop on Thursday.',
    '\\b(cv|resume|résumé) (review|clinic|workshop|tips|check)\\b|\\bcareer (coaching|ad'
    'vice|workshop|tips)\\b':
        'Book a free CV review with our careers advisers.',
    '\\btipps (für|zum|zur) (das |dein |ihr |ein )?(vorstellungsgespräch|bewerbung|int'
    'erview)|\\bbewerbungs(training|check|tipps|coaching|workshop)\\b|\\bprobe-?(vorstel'
    'lungsgespräch|interview)':
        'Unsere Tipps für das Vorstellungsgespräch: so klappt es.',
    '\\bconseils pour (réussir )?(votre |ton |un |l.)?(entretien|candidature|cv)|\\bsim'
    'ulations? d.entretiens?\\b|\\batelier (cv|entretien|candidature)':
        "Nos conseils pour réussir votre entretien d'embauche.",
    '\\bconsejos para (tu |su |la |una )?(entrevista|candidatura|cv)|\\bsimulacros? de '
    'entrevistas?\\b|\\btaller de (cv|entrevista)':
        'Nuestros consejos para tu entrevista de trabajo.',
    # not (yet) an application of yours: a started one, a course's registration
    '\\b(jobs?|openings?|roles?|positions?|opportunities)\\b[^.!\\n]{0,40}\\b(you may|you'
    ' might|you.d) (be interested|like|love|enjoy)\\b':
        'Here are new openings at Acme Robotics you might like.',
    '\\b(complete|finish|finali[sz]e) your (application|candidate profile)\\b|\\bincompl'
    'ete application\\b|\\bstarted an application\\b':
        'You started an application but did not finish it. Complete your application now.',
    '\\b(registration|enrol?ment|sign-?up) (for|to|in) (the |a |an |our |your )?(\\w+ )'
    '?(course|class|workshop|webinar|event|seminar|conference|meetup)\\b':
        'Thanks for your registration for the Python course on Saturday.',
    '\\b(bewerbung|unterlagen) (abschließen|vervollständigen)\\b|\\bunvollständige bewerbung':
        'Bitte Bewerbung abschließen: es fehlen noch Unterlagen.',
    '\\b(anmeldung|einschreibung) (zum|zur|für den|für die|für das) \\w*(kurs|seminar|w'
    'orkshop|webinar|studium|veranstaltung)':
        'Vielen Dank für Ihre Anmeldung zum Spanischkurs.',
    '\\b(finalise[zr]|complète[zr]?|complétez) (votre|ta) candidature\\b|\\bcandidature incomplète':
        'Finalisez votre candidature en quelques clics.',
    '\\binscription (au|à la|à l.|pour le|pour la) \\w*(cours|formation|atelier|webinai'
    're|salon|master)':
        'Merci pour votre inscription au cours du samedi.',
    '\\b(completa|finaliza|termina) (tu|su) (candidatura|solicitud)\\b|\\b(candidatura|s'
    'olicitud) incompleta':
        'Completa tu candidatura en dos minutos.',
    '\\binscripción (al|a la|en el|en la) (curso|taller|webinar|seminario|máster|evento|jornada)':
        'Gracias por tu inscripción al curso de inglés.',
    # rejection
    "unfortunately,? (we|the team)( have| has)? (decided|chosen|will not|won.t|are (not|unable)"
    "|can(no|.)t (move|offer|proceed))":
        "Unfortunately, we have decided to fill the role internally.",
    "unfortunately,? after careful": "Unfortunately, after careful review we will pass.",
    "decided (to|not to) (move|proceed|pursue|go) forward with other":
        "We decided to move forward with others.",
    "decided to pursue other candidates": "We have decided to pursue other candidates.",
    "not (to )?(be )?mov(e|ing) forward with your": "We are not moving forward with your "
                                                    "application.",
    "will not be (moving|proceeding) forward": "We will not be proceeding forward.",
    "decided not to proceed": "The team decided not to proceed.",
    "other candidates whose": "We chose other candidates whose skills fit better.",
    "position has (now )?been filled": "The position has now been filled.",
    "not been selected": "You have not been selected.",
    "we regret to inform": "We regret to inform you of our decision.",
    "not able to offer you": "We are not able to offer you the role.",
    "decided to go (in|with) (a different|another)": "We decided to go with another applicant.",
    "leider (müssen|haben|können)": "Leider können wir Ihnen keine Stelle anbieten.",
    "absage": "Wir müssen Ihnen eine Absage erteilen.",
    "nicht (weiter )?berücksichtigen": "Wir können Sie nicht berücksichtigen.",
    "für (einen )?andere(n)? (kandidat|bewerber)": "Wir haben uns für einen anderen Bewerber "
                                                    "entschieden.",
    "nous avons le regret": "Nous avons le regret de vous annoncer notre décision.",
    "ne pas donner suite": "Nous avons décidé de ne pas donner suite.",
    "pas (été )?retenue?": "Votre profil n'a pas été retenu.",
    "malheureusement": "Malheureusement, le poste est pourvu.",
    "lamentablemente": "Lamentablemente, el puesto ya está cubierto.",
    "lamentamos (informarte|comunicarte)": "Lamentamos comunicarte nuestra decisión.",
    "no (continuar|seguir) con tu candidatura": "Hemos decidido no continuar con tu candidatura.",
    "seguir (adelante )?con otros candidatos": "Vamos a seguir con otros candidatos.",
    "otros candidatos": "Elegimos a otros candidatos.",
    # interview
    "invite you (to|for) (a|an|the)? ?(\\w+ )?(interview|call|conversation|chat)":
        "We would like to invite you to a first interview.",
    "would you be available (for|to)": "Would you be available for a call on Monday?",
    "schedule (an|a|your) (\\w+ )?(interview|call)": "Let us schedule an onsite interview.",
    "interview invitation": "This is your interview invitation.",
    "invitation to interview": "Please accept this invitation to interview.",
    "like to (meet|speak|talk) with you": "The team would like to speak with you.",
    "book a time": "Please book a time in my calendar.",
    "pick a time": "Pick a time that suits you.",
    "select a time": "Select a time on the page below.",
    "move you forward to the next": "We are happy to move you forward to the next step.",
    "next round": "You are invited to the next round.",
    "interview with (us|the team)": "Your interview with the team is next week.",
    "(einladen|einladung) zu(m|r|)? (einem |einer )?(persönlichen |ersten )?"
    "(vorstellungsgespräch|gespräch|kennenlern)":
        "Wir möchten Sie zu einem ersten Gespräch einladen. Einladung zum Gespräch folgt.",
    "vorstellungsgespräch": "Gerne laden wir Sie zu einem Vorstellungsgespräch.",
    "kennenlerngespräch": "Wir freuen uns auf ein Kennenlerngespräch.",
    "vous inviter à un entretien": "Nous souhaitons vous inviter à un entretien.",
    "invitation à un entretien": "Voici votre invitation à un entretien.",
    "convier à un entretien": "Nous aimerions vous convier à un entretien.",
    "entretien (téléphonique|en visio|avec)": "Un entretien téléphonique est prévu.",
    "invitarte a una entrevista": "Queremos invitarte a una entrevista.",
    "invitación a (una )?entrevista": "Te enviamos una invitación a entrevista.",
    "agendar una entrevista": "Nos gustaría agendar una entrevista.",
    "entrevista (telefónica|con)": "Tendrás una entrevista telefónica.",
    # application
    "thank(s| you)( so much)? for (applying(?! (the|this|that|it|my|a)\\b)|your application"
    "|submitting your application)": "Thank you for applying to Acme Robotics.",
    "(we|we.ve|we have) (successfully )?received your application":
        "We've received your application for the Analyst position.",
    "your application (has been|was) (received|submitted|sent)":
        "Your application has been received.",
    "application (received|confirmation|submitted)": "Application received for Analyst.",
    # (alone, the sentence opens rejections as often: the word model learnt that from blind6)
    "thank you for your interest in":
        "Thank you for your interest in Acme Robotics. We will review your details shortly.",
    "indeed application": "Indeed Application: Analyst",
    "vielen dank für (ihre|deine) bewerbung": "Vielen Dank für Ihre Bewerbung bei Acme Robotics.",
    "bewerbung (ist )?(bei uns )?eingegangen": "Ihre Bewerbung ist bei uns eingegangen.",
    "eingangsbestätigung": "Eingangsbestätigung Ihrer Unterlagen.",
    "(ihre|deine) bewerbung (wurde|ist) (erfolgreich )?(übermittelt|eingegangen)":
        "Deine Bewerbung wurde erfolgreich übermittelt.",
    "merci (pour|de) votre candidature": "Merci pour votre candidature chez Acme Robotics.",
    "nous avons (bien )?reçu votre candidature": "Nous avons bien reçu votre candidature.",
    "votre candidature a (bien )?été (reçue|envoyée|transmise)":
        "Votre candidature a bien été transmise.",
    "accusé de réception": "Accusé de réception de votre dossier.",
    "gracias por (tu|su) (candidatura|solicitud|interés)": "Gracias por tu candidatura a "
                                                            "Acme Robotics.",
    "gracias por postularte": "Gracias por postularte a Acme Robotics.",
    "hemos recibido (tu|su) (candidatura|solicitud)": "Hemos recibido tu solicitud.",
    "(tu|su) candidatura (ha sido|se ha) (recibida|enviado|registrado)":
        "Tu candidatura se ha registrado.",
    # rules written from the development families (tests/fixtures/mail/families/)
    "rental application": "Thank you for your rental application for unit 4B.",
    "\\badmissions?\\b": "The admissions office has received your form.",
    "\\b(msc|bsc|mba|ph\\.?d) ": "Your MSc application is complete.",
    "\\b(not|won.t|will not|unable to|decided not to|chosen not to)\\s+(be\\s+|going\\s+to\\s+)?"
    "(mov(e|ing) "
    "(forward|ahead)|progress(ing)?|proceed(ing)?|continu(e|ing) with your)\\b":
        "We will not be progressing your application further.",
    "\\btak(e|ing) (your application|things|it|this)\\b[^.!\\n]{0,60}\\bfurther":
        "We are not taking your application for this role further.",
    "\\b(decided|chosen|opted|decision) to (move forward|proceed|continue|go|pursue|hire)\\b"
    "[^.!\\n]{0,40}\\b(other|another|an internal|someone)\\b":
        "We decided to hire someone with more experience.",
    "\\b(pursue|selected|chosen|chose|hired|extend(ed)? an offer to|gone with|go with|went with"
    "|proceed with) (another|other|a different|an internal|someone else)\\b":
        "We have selected another candidate.",
    "\\b(pursue|selected|chosen) a candidate whose":
        "We've chosen a candidate whose experience is a closer match.",
    "candidates? whose (experience|background|profile|skills)\\b[^.!\\n]{0,30}\\b(more closely"
    "|better|closer)": "We met candidates whose background more closely matches the role.",
    "\\b(position|role|requisition|vacancy|opening)\\b[^.!\\n]{0,40}\\bhas (now |already )?been "
    "(filled|closed|cancell?ed)": "The requisition for this role has been closed.",
    "no longer (be )?consider(ing|ed)": "Your application will no longer be considered.",
    "not been (successful|shortlisted)": "You have not been shortlisted for interview.",
    "regret that (we|you)": "We regret that we cannot offer you a place.",
    "not you this time": "We made our decision and it is not you this time.",
    "\\bleider\\b[^.!?\\n]{0,120}\\b(nicht|keine?n?|absage|andere[nrs]?|entschieden|besetzt"
    "|vergeben)\\b": "Leider ist die Stelle schon vergeben.",
    "\\b(anderweitig|intern|bereits) (zu )?(besetz|vergeben)":
        "Wir haben entschieden, die Stelle anderweitig zu besetzen.",
    "\\babgesagt\\b": "Der Kunde hat abgesagt.",
    "für (eine[nr]? )?andere[nr]? (kandidat|bewerber)":
        "Wir haben uns für eine andere Bewerberin entschieden.",
    "(sommes|suis) au regret": "Nous sommes au regret de vous informer de notre choix.",
    "\\b(ne|n.)\\s*\\w*\\s*pas donner (une )?suite":
        "Nous ne pouvons pas donner une suite favorable.",
    "retenu un autre (profil|candidat)": "Nous avons retenu un autre profil.",
    "ne donne pas suite": "Le client ne donne pas suite.",
    "seguir (adelante )?con (otros perfiles|otra candidata|otro candidato)":
        "Hemos decidido seguir con otro candidato.",
    "no ha sido seleccionad": "Tu perfil no ha sido seleccionado.",
    "no (va|vamos|van) a (seguir|continuar)": "Me han dicho que no van a seguir adelante contigo.",
    "\\b(phone|video|panel|technical|first[- ]stage|onsite|final[- ]round) "
    "(screen|interview|chat)\\b": "Could we do a phone screen on Monday?",
    "\\bfinal round\\b": "You are through to the final round.",
    "\\b(quick|short|brief|intro) (phone )?(call|chat)\\b": "Are you up for a quick call?",
    "\\b(like|love|want|wants) to (meet|speak|talk|chat|interview|set up|schedule|invite)\\b":
        "The hiring manager wants to interview you.",
    "\\binvited you to (an? )?(\\w+ )?interview": "The hiring team invited you to an interview.",
    "\\b(schedul|book|pick|choos|select)\\w* (a |an |your |the )?(interview|time|slot|call)\\b":
        "Please choose a slot that suits you.",
    "\\b(share|send me|reply with) (your|a couple of|a few) (availability|times)":
        "Please share your availability.",
    "\\binterview (is |has been )?(scheduled|confirmed|booked|request)\\b":
        "Your interview is confirmed.",
    "\\bmoved to the interview": "You have been moved to the interview step.",
    "\\b(continue|proceed|move you) (on )?(to|forward to) the (interview|next) (stage|step|round)":
        "You will continue to the interview stage.",
    "\\bwhen are you free\\b": "When are you free next week?",
    "\\bare you available\\b": "Are you available on Monday?",
    "what does your week look like": "What does your week look like?",
    "\\bdo you have time for\\b": "Do you have time for a conversation this week?",
    "calendly\\.com/": "Grab a slot here: https://calendly.com/dana-acme/30min",
    "\\bkennen ?(zu )?lernen\\b": "Wir würden Sie gern kennenlernen.",
    "\\btelefonat\\b": "Hätten Sie Zeit für ein kurzes Telefonat?",
    "\\bvideocall\\b": "Passt Ihnen ein Videocall am Montag?",
    "\\bgespräch\\b[^.!?\\n]{0,80}\\beinlad":
        "Wir möchten Sie zu einem Gespräch über die Stelle einladen.",
    "\\bterminvorschlag\\b": "Hier ist mein Terminvorschlag für nächste Woche.",
    "\\bwähle\\w*\\b[^.!?\\n]{0,30}\\btermin\\b": "Bitte wählen Sie einen Termin aus.",
    "\\b(pour|à) un entretien\\b": "Nous souhaitons vous voir pour un entretien.",
    "\\bun entretien (le|en|pour|avec)\\b": "Nous proposons un entretien le lundi.",
    "\\b(échange|point) (téléphonique|en visio)\\b":
        "Pouvons-nous prévoir un échange téléphonique ?",
    "\\bvous rencontrer\\b": "Nous aimerions vous rencontrer.",
    "\\b(una|la) entrevista (el|para|con)\\b": "¿Te viene bien una entrevista el jueves?",
    "\\bllamada (rápida|telefónica)\\b": "¿Podemos tener una llamada rápida?",
    "\\bhablar por teléfono\\b": "¿Podemos hablar por teléfono mañana?",
    "\\bconocerte\\b": "Nos gustaría conocerte.",
    "\\b(we|we.ve|we have|i.ve|i have|i|team) (successfully |now )?(received|got|have) your "
    "(application|cv|resume|submission)\\b": "Our team received your submission.",
    "\\b(confirms?|confirming|acknowledge) (that )?(we (have )?received |receipt of )?your "
    "(application|submission)\\b": "This email confirms your submission.",
    "\\backnowledge receipt of your application": "We acknowledge receipt of your application.",
    "\\byour (application|cv|resume|résumé)\\b[^.!\\n]{0,80}\\b(has been|was|is) (successfully )?"
    "(received|submitted|sent)\\b": "Your CV for the Data Analyst role has been received.",
    "thank(s| you) for (sending|submitting) (over )?your (cv|resume|application)":
        "Thanks for sending over your CV.",
    "hat in the ring": "Thanks for throwing your hat in the ring.",
    "\\b(submitted|sent|passed) your (cv|resume|profile|application) (to|on)\\b":
        "I have passed your profile on to the hiring team.",
    "\\byour (cv|resume) is now with\\b": "Your resume is now with the hiring manager.",
    "\\bcv (sent|submitted) to\\b": "Quick note: CV sent to the client.",
    "\\bsubmitted: your profile\\b": "Submitted: your profile for the Data Analyst role.",
    "\\bpassed (it|your \\w+) (on )?to the hiring": "I passed it to the hiring manager.",
    "\\bgot your application\\b": "Just a note that we got your application.",
    "\\bdank(e)? für (ihre|deine|dein) bewerbung": "Danke für Ihre Bewerbung!",
    "\\b(ihre|deine) unterlagen (liegen uns vor|erhalten|sind (bei uns )?eingegangen)":
        "Ihre Unterlagen liegen uns vor.",
    "\\bhaben (ihre|deine) unterlagen erhalten": "Wir haben Ihre Unterlagen erhalten.",
    "\\beingang (ihrer|deiner) bewerbung": "Wir bestätigen den Eingang Ihrer Bewerbung.",
    "\\bbewerbung\\b[^.!\\n]{0,80}\\b(ist|wurde) (bei uns )?(eingegangen|weitergeleitet"
    "|übermittelt)\\b": "Ihre Bewerbung als Data Analyst wurde weitergeleitet.",
    "\\bunterlagen an (den|die) \\w+ weitergeleitet":
        "Ich habe Ihre Unterlagen an den Kunden weitergeleitet.",
    "\\baccusons réception\\b": "Nous accusons réception de votre dossier.",
    "\\bgracias por enviarnos (tu|su) (candidatura|solicitud|cv)": "Gracias por enviarnos tu CV.",
    "\\b(he|hemos) recibido (tu|su) (candidatura|solicitud|cv)\\b": "He recibido tu candidatura.",
    "\\bnot (be )?invit(e|ing) you\\b": "We will not be inviting you to the next stage.",
    "\\b(going|gone|go|went) with (other |another )?(applicants|candidates|someone|a candidate"
    "|people)\\b": "This time we are going with applicants closer to the brief.",
    "\\boffered (the )?(\\w+ ){0,4}(role|position|job) to (someone|another|a different)":
        "We have offered the Data Analyst position to someone with more experience.",
    "\\b(to|with) someone else\\b": "The team went ahead with someone else.",
    "\\bbedauern\\b": "Zu unserem Bedauern ist die Auswahl anders ausgefallen.",
    "\\b(mit|durch) (einer|einem) anderen (person|kandidat|bewerber)":
        "Wir besetzen die Position mit einer anderen Person.",
    "\\bgegen (ihre|deine|dich|sie)\\b[^.!\\n]{0,40}\\bentschieden":
        "Wir haben uns gegen Ihre Bewerbung entschieden.",
    "\\bpoursuivre avec (une? )?autre": "Nous allons poursuivre avec une autre personne.",
    "ne correspond pas (aux|à nos|au|à votre)": "Votre profil ne correspond pas aux besoins.",
    "\\b(optado|elegido) por otr[oa]": "Hemos optado por otro perfil.",
    "no (ha|has) sido seleccionad": "No has sido seleccionado en este proceso.",
    "\\binvite you (to|for)\\b[^.!\\n]{0,40}\\b(interview|call|chat|conversation|meeting)":
        "We want to invite you for a trial day and interview.",
    "\\bget to know you\\b": "We'd love to get to know you better.",
    "\\b(video|phone|zoom|teams) call\\b": "Can we do a video call on Monday?",
    "\\binterview\\b[^.!\\n]{0,40}\\b(is|has been) (planned|scheduled|confirmed|booked|set)\\b":
        "Your interview for Data Analyst is planned.",
    "\\b(interview|gesprächs|vorstellungs)termin": "Hiermit bestätigen wir Ihren Interviewtermin.",
    "\\b(interview|call|videocall)\\b[^.!?\\n]{0,60}\\beinlad":
        "Wir möchten Sie zu einem Online-Interview einladen.",
    "\\bun rendez-vous\\b": "Je vous propose un rendez-vous mardi.",
    "\\bvideollamada\\b": "¿Tienes tiempo para una videollamada?",
    "\\bconvocar(te|le)\\b": "Queremos convocarte el lunes.",
    "\\bprueba técnica\\b": "El siguiente paso es una prueba técnica.",
    "\\bhas your application\\b": "The hiring team now has your application.",
    "\\byour application\\b[^.!\\n]{0,40}\\b(landed|arrived|reached us|made it)\\b":
        "Your application landed safely in our inbox.",
    "\\bbewerbung\\b[^.!\\n]{0,160}\\b(ist|wurde)\\b[^.!\\n]{0,30}\\b(angekommen|versendet|"
    "verschickt|gesendet|erhalten|übermittelt|unterwegs|raus)(?!\\w)":
        "Ihre Bewerbung ist vollständig bei uns angekommen.",
    r"\b(introductory|screening|intro|phone|video) (call|chat)\b[^.!\n]{0,60}\b(is )?"
    r"confirmed\b|\byour (call|interview|chat) is confirmed\b|\bconfirmed: (an? )?"
    r"(introductory|screening|intro|phone|video) (call|chat)\b":
        "Your introductory call with Acme Robotics is confirmed for Monday at 3:30 PM.",
    r"\b(puedes|podrías|quieres|puede|podría) pasar(te|se)\b[^.!?\n]{0,100}\b(hablamos|"
    r"charlamos|conocernos|nos conocemos|entrevista)\b":
        "Desde Acme Robotics: ¿puedes pasarte el lunes por la oficina y hablamos?",
    "\\b(erhalt|eingang) (ihrer|deiner) unterlagen": "Wir bestätigen den Erhalt Ihrer Unterlagen.",
    "\\bréception de votre (dossier|candidature)":
        "Je vous confirme la bonne réception de votre dossier.",
    "votre candidature\\b[^.!\\n]{0,80}\\ba (bien )?été (reçue|envoyée|transmise|enregistrée)":
        "Votre candidature pour le poste a été enregistrée.",
    "\\bnos ha llegado (tu|su) (candidatura|solicitud|cv)": "Nos ha llegado tu candidatura.",
    "\\b(tu|su) (candidatura|solicitud|cv|perfil)\\b[^.!\\n]{0,80}\\b(ha quedado|ha sido|se ha) "
    "(registrad|recibid|enviad)": "Tu CV se ha enviado al equipo de selección.",
    "\\bregret to (advise|inform|tell|let you know)": "We regret to advise you of our choice.",
    "\\b(has been|was|were|have been) unsuccessful\\b": "Your application has been unsuccessful.",
    "\\bmov(e|ing) on with your": "We won't be moving on with your application.",
    "\\b(we.ve|we have) filled\\b": "We've filled the spot, thank you.",
    "\\bnicht in die engere wahl": "Ihre Bewerbung ist nicht in die engere Wahl gekommen.",
    "\\bzugunsten (eines|einer) anderen": "Die Entscheidung fiel zugunsten einer anderen Person.",
    "\\bfür jemand(en)?\\b[^.!\\n]{0,60}\\bentschieden":
        "Wir haben uns am Ende für jemanden mit mehr Erfahrung entschieden.",
    "\\b(inzwischen|schon) (zu )?(besetz|vergeben)": "Die Stelle ist inzwischen vergeben.",
    "\\b(pas|plus) en mesure de donner une suite":
        "Nous ne sommes pas en mesure de donner une suite positive.",
    "\\ba été pourvu": "Le poste a été pourvu.",
    "\\bdecantado por otr[oa]": "Nos hemos decantado por otra candidatura.",
    "\\bha sido cubiert[oa]": "La posición ya ha sido cubierta.",
    "\\bhave you in for\\b": "We'd love to have you in for a chat.",
    "\\b\\d+[- ]minute (intro|call|chat|interview)\\b": "Fancy a 20-minute intro on Thursday?",
    "\\bintro call\\b": "Let's set an intro call.",
    "\\bvideointerview\\b": "Wir möchten ein Videointerview mit Ihnen führen.",
    "\\beine runde weiter\\b": "Sie sind eine Runde weiter!",
    "\\bpropos\\w* un entretien": "Nous te proposons un entretien lundi.",
    "\\bun (court )?entretien\\b": "Peux-tu passer pour un court entretien ?",
    "\\bentrevista presencial\\b": "Te proponemos una entrevista presencial.",
    "\\b(logged|recorded|registered) your application": "We have logged your application.",
    "\\byour application is in\\b": "Good news: your application is in.",
    "\\bbewerbung\\b[^.!\\n]{0,80}\\bhat uns erreicht": "Ihre Bewerbung hat uns erreicht.",
    "\\b(a|avons) bien reçu (ta|votre) candidature": "Nous avons bien reçu ta candidature.",
    "\\bcandidature est entre de bonnes mains": "Ta candidature est entre de bonnes mains.",
    "\\bmerci (de|pour) (ton|votre) intérêt": "Merci de ton intérêt pour le poste.",
    "\\bmerci (pour|de) ta candidature": "Merci pour ta candidature !",
    "\\bacus(o|amos) recibo\\b": "Acuso recibo de tu candidatura.",
    "\\bgracias por postular\\b": "Gracias por postular al puesto.",
    # ignore: what is applied or interviewed for is not a job
    "\\b(application|applying)\\b[^.!\\n]{0,30}\\b(for|to) (the |a |an |our |your )?(apartment|"
    "flat|room|house|tenancy|lease|membership|club|council|committee|loan|mortgage|(\\w+ )?card|"
    "(\\w+ )?account|(\\w+ )?permit|licen[cs]e|visa|passport|residence|citizenship|"
    "scholarship|grant|award|course|nursery|daycare|kindergarten|allotment|university|college|"
    "school|programme|program|conference|festival|market stall)(?=[.,;:!?)\\n]|$| (at|in|on|"
    "with|near|from|of|and|has|have|was|is|we|to|this|last|next)\\b)":
        "Thank you for your application for a library card.",
    "\\b(membership|visa|passport|loan|mortgage|tenancy|lease|credit card|grant|scholarship|"
    "school|university|college|course|permit|planning|insurance|benefits?) application":
        "We received your visa application.",
    "(?<!other )\\bjobs (that match|matching|based on|picked for|selected for) (your|you)":
        "Here are jobs that match your profile.",
    "\\b\\d+ new (jobs|positions|openings|roles)\\b": "There are 12 new positions this week.",
    "\\b(top|trending) jobs\\b": "Top jobs this week in your area.",
    "\\bjobs? near you\\b": "Discover jobs near you.",
    "\\bjob recommendations?\\b": "Your job recommendations are ready.",
    "\\bwho viewed your profile": "See who viewed your profile this week.",
    "\\bneue stellenangebote": "Neue Stellenangebote in Ihrer Nähe.",
    "\\bstellenangebote für (sie|dich)": "Stellenangebote für Sie ausgewählt.",
    "\\boffres d.emploi (pour (vous|toi)|recommandées|similaires)":
        "Des offres d'emploi pour vous cette semaine.",
    "\\bofertas (de empleo )?(para ti|recomendadas|similares)":
        "Ofertas de empleo para ti esta semana.",
    "\\binterview (for|with) (the |our |a |an )?(magazine|newspaper|podcast|blog|radio|"
    "newsletter|documentary)\\b": "Would you give an interview for our magazine?",
    "\\bbewerbung (um|für|auf) (die |eine |den |einen |das |ein )?(wohnung|mietwohnung|zimmer|"
    "mitgliedschaft|kitaplatz|kita|schulplatz|studienplatz|stipendium|kleingarten|parzelle|"
    "förderung|\\w*kurs|\\w*seminar|\\w*studium|studiengang|zulassung|\\w*genehmigung|kredit|"
    "darlehen|visum)\\b":
        "Danke für Ihre Bewerbung um die Wohnung.",
    "\\binterview (für|mit) (die |das |den |unser\\w* )?(magazin|zeitung|podcast|blog|radio)":
        "Hätten Sie Zeit für ein Interview für unser Magazin?",
    "\\bcandidature (au|à la|à l.|pour le|pour la|pour l.|pour un|pour une) ?(conseil|logement|"
    "appartement|location|club|association|crèche|bourse|comité|master|mastère|cursus|école|"
    "doctorat|prêt|permis|visa|titre de séjour)\\b":
        "Nous avons reçu votre candidature pour le logement social.",
    "\\b(interview|entretien) pour (le |la |notre |un |une )?(magazine|journal|podcast|blog|"
    "radio)": "Un entretien pour notre magazine ?",
    "\\bsolicitud (de|para) (el |la |un |una )?(socio|club|piso|alquiler|vivienda|préstamo|beca|"
    "hipoteca|tarjeta|plaza escolar|licencia|permiso|subvención|ayuda|admisión|matrícula|máster|"
    "master|grado|doctorado|curso|visado|pasaporte|guardería)\\b":
        "Hemos recibido tu solicitud de socio.",
    "\\bentrevista para (la |el |un |una |nuestr[oa] )?(revista|periódico|podcast|radio|blog)":
        "¿Te apetece una entrevista para la revista?",
    # interview: an invitation said indirectly
    '\\byour (\\w+ )?interview (tomorrow|today|this (morning|afternoon|week)|next (week'
    '|monday|tuesday|wednesday|thursday|friday))\\b':
        'Looking forward to your interview tomorrow at our office.',
    '\\breminder\\b[^.!\\n]{0,40}\\byour (\\w+ )?interview\\b':
        'A quick reminder about your video interview on Friday.',
    '\\berinnerung\\b[^.!?\\n]{0,40}\\b(ihr|dein)\\w* (\\w+ )?(vorstellungsgespräch|gespräc'
    'h|interview)':
        'Eine kurze Erinnerung an Ihr Vorstellungsgespräch am Freitag.',
    '\\brappel\\b[^.!\\n]{0,40}\\b(votre|ton) (entretien|rendez-vous)\\b':
        'Petit rappel concernant votre entretien de vendredi.',
    '\\brecordatorio\\b[^.!\\n]{0,40}\\b(tu|su) (entrevista|cita)\\b':
        'Te enviamos un recordatorio de tu entrevista del viernes.',
    '\\b(progressed|advanced|moved|made it|passed) (on |through )?to the (next|second|'
    'third|final|following) (round|stage)\\b':
        'Congratulations, you have progressed to the next round of our process.',
    '\\b(panel|technical|final|onsite|on-site|second|first|hiring manager) (interview|'
    'conversation|round)\\b[^.!?\\n]{0,60}\\b(next|schedule|book|invite|arrange|set up)\\'
    'b':
        'The panel interview is the next step; please book a time with us.',
    '\\b(organiser|planifier|prévoir|programmer|fixer|caler) (un|une) (premier |premie'
    're |première )?(échange|entretien|rencontre|appel|visio|rendez-vous)\\b':
        'Nous aimerions organiser un échange avec le manager.',
    '\\b(souhaiterions|souhaiterais|aimerions|aimerais|voudrions|voudrais) (vous|te) ('
    'rencontrer|parler|appeler|connaître)\\b':
        'Votre profil nous plaît et nous aimerions vous rencontrer.',
    '\\b(una |primera )?(conversación|charla|llamada|reunión) contigo\\b':
        'Nos encantaría tener una primera conversación contigo.',
    '\\bnos gustaría (conocerte|hablar contigo|charlar contigo|conocerle|hablar con usted)\\b':
        'Tu perfil encaja y nos gustaría conocerte.',
    # application: a job board's confirmation
    '\\bte has inscrito\\b[^.!\\n]{0,40}\\b(oferta|puesto|vacante|proceso)':
        'Te has inscrito correctamente en la oferta de Acme Robotics.',
    '\\bhas (aplicado|postulado) (a|en|al|para)\\b':
        'Has aplicado a la oferta de Acme Robotics. ¡Suerte!',
    '\\b(tu|su) postulación\\b[^.!\\n]{0,80}\\b(fue|ha sido|se ha) (enviad|recibid|registrad)':
        'Tu postulación a Acme Robotics fue enviada con éxito.',
    '\\bpostulación (enviada|recibida|registrada)\\b':
        'Postulación enviada: Acme Robotics la revisará pronto.',
    '\\b(hast|haben) (dich|sich)\\b[^.!\\n]{0,80}\\bbeworben\\b':
        'Du hast dich erfolgreich bei Acme Robotics beworben.',
    # rejection: indirect wording
    "\\b(go|goes|going|gone|went) (in )?a different direction":
        "We went in a different direction for this role.",
    "\\b(decision|decided|chosen|opted) not to (progress|proceed|move forward|continue|pursue|"
    "take)\\b": "We made the decision not to progress your application.",
    "\\b(not|won.t|will not|unable to) (be )?(extend(ing)?|offer(ing)?) (you )?(an|the) "
    "(offer|position|role)": "We will not be extending an offer.",
    "\\bdecided to close (the|this|our) (role|position|search|vacancy)":
        "We have decided to close the role.",
    "\\bnicht weiter(zu)?verfolgen":
        "Wir haben entschieden, Ihre Bewerbung nicht weiterzuverfolgen.",
    "\\bmit jemand(em|en)? ander": "Wir haben die Stelle mit jemand anderem besetzt.",
    "\\banderweitig\\b": "Wir haben uns anderweitig orientiert.",
    "\\bkeine positive (rückmeldung|nachricht)":
        "Wir können Ihnen keine positive Rückmeldung geben.",
    "\\bnicht (mehr )?in (die nähere )?betracht": "Ihre Bewerbung kommt nicht in Betracht.",
    "\\bne (pas )?retiendr(ons|ont|a) pas": "Nous ne retiendrons pas ta candidature.",
    "\\bpréféré (un|une) (autre )?(candidat|profil|candidature)":
        "Nous avons préféré un autre profil.",
    "\\bpas de suite favorable": "Il n'y aura pas de suite favorable à ta candidature.",
    "\\bne (sera|serez|seras) pas retenue?": "Ta candidature ne sera pas retenue.",
    "\\bcon otr[oa]s? (candidat[oa]s?|perfil(es)?|persona)\\b": "Hemos seguido con otra persona.",
    "\\bcerrado el proceso\\b": "Hemos cerrado el proceso de selección.",
    "\\b(siento|lamento) (decirte|comunicarte|informarte)":
        "Siento decirte que no has sido elegido.",
    "\\bno (podemos|vamos a|va a) avanzar": "No vamos a avanzar con tu candidatura.",
    # application: the tu-form and an interest thanked for
    "\\b(ta|votre) candidature (a|est) (bien )?(été )?(reçue|envoyée|transmise|enregistrée)":
        "Ta candidature a bien été reçue.",
    "\\ba (bien )?reçu (ta|votre) candidature": "L'équipe a bien reçu ta candidature.",
    "\\bcandidature (envoyée|reçue|transmise)\\b": "Candidature envoyée avec succès.",
    "\\b(danke|dank) für (ihr|dein) interesse an": "Danke für Ihr Interesse an einer Mitarbeit.",
    "\\b(he|hemos|has|ha) (enviado|pasado|mandado|trasladado|presentado) (tu|su) (cv|candidatura|"
    "perfil|solicitud)": "Has enviado tu CV para el puesto de analista.",
    "\\b(ton|votre) (cv|dossier) (a|est) (bien )?(été )?(reçu|envoyé|transmis|enregistré)\\b":
        "Votre CV a bien été transmis au service recrutement.",
    "\\b(présenté|transmis|envoyé|soumis|proposé) (votre|ta) (candidature|cv|profil|dossier) "
    "(à|au|aux|chez)\\b": "J'ai présenté votre candidature au responsable du service.",
    "\\b(ihr|dein|ihren|deinen) (profil|lebenslauf|cv|unterlagen)\\b[^.!\\n]{0,60}\\ban (die|den|"
    "das|eine[nm]?)?\\b[^.!\\n]{0,60}\\b(geschickt|gesendet|weitergeleitet|übermittelt|"
    "weitergegeben)\\b": "Ich habe Ihren Lebenslauf heute an die Fachabteilung geschickt.",
    "\\b(ihr|dein) (lebenslauf|cv|profil)\\b[^.!\\n]{0,60}\\b(wurde|ist)\\b[^.!\\n]{0,40}\\b("
    "übermittelt|versendet|verschickt|gesendet)\\b":
        "Ihr Lebenslauf wurde erfolgreich übermittelt.",
    "\\b(tu|su) cv (ya )?está en\\b": "Tu CV ya está en manos del equipo.",
    # general phrases, each kind and language (issue 22: generalisation)
    '\\b(were|was|are|is|have|has) not (been )?successful\\b':
        'Your application was not successful this time.',
    '\\bnot be able to (progress|proceed|move forward|offer|continue|take)\\b':
        'We will not be able to progress your application.',
    '\\b(progress|proceed|continue|move forward|moving forward|go forward|go'
        'ing forward) with (other|another|a different|alternative|more suitable'
        ') (candidates?|applicants?|profiles?)\\b':
        'The team will progress with other applicants.',
    '\\bnot\\b[^.!\\n]{0,80}\\bon this occasion\\b':
        'Your profile is not the right match on this occasion.',
    '\\bno longer (hiring|recruiting) for\\b':
        'We are no longer hiring for this role.',
    '\\bunable to offer you\\b':
        'Sadly we are unable to offer you a place.',
    '\\b(position|role|vacancy|opening|job)\\b[^.!\\n]{0,30}\\b(is no longer av'
        'ailable|has been withdrawn|was withdrawn)\\b':
        'The role you applied for is no longer available.',
    '\\bkeine (zusage|positive entscheidung)\\b':
        'Wir können Ihnen keine Zusage geben.',
    '\\bnicht (in die|für die) (nächste|weitere) (runde|auswahl|phase)':
        'Sie sind nicht in die nächste Runde gekommen.',
    '\\b(ihre|deine) bewerbung\\b[^.!\\n]{0,60}\\bnicht (erfolgreich|berücksichtigt|weiter)':
        'Ihre Bewerbung war dieses Mal nicht erfolgreich.',
    '\\b(mit|für) (einer?|einem|den|die )?andere[nrm]? (kandidat|bewerber|profil)':
        'Wir machen mit anderen Kandidaten weiter.',
    '\\bstelle\\b[^.!\\n]{0,40}\\b(wurde|ist|haben wir) (bereits |nun |jetzt )?'
        '(besetzt|vergeben)\\b':
        'Die Stelle wurde besetzt.',
    '\\bpoursuivre\\b[^.!\\n]{0,40}\\bavec d.autres\\b':
        "Nous avons décidé de poursuivre le processus avec d'autres candidats.",
    '\\b(ne pas retenir|ne retenons pas|n.avons pas retenu)\\b':
        'Nous avons décidé de ne pas retenir votre dossier.',
    '\\b(suite|réponse) (défavorable|négative)\\b':
        'Nous devons donner une suite défavorable à votre demande.',
    '\\bd.autres (candidats|candidatures|profils)\\b':
        "Nous avons privilégié d'autres profils.",
    '\\bpas en mesure de\\b[^.!\\n]{0,40}\\b(retenir|donner suite|poursuivre|vous proposer)':
        'Nous ne sommes pas en mesure de vous proposer le poste.',
    '\\bdescartad[oa]s?\\b':
        'Tu candidatura ha sido descartada.',
    '\\bno (continuar[aá]s|seguir[aá]s|avanzar[aá]s|pasar[aá]s)\\b':
        'No continuarás en el proceso.',
    '\\bno (seguiremos|continuaremos|avanzaremos)\\b':
        'No seguiremos adelante con tu candidatura.',
    '\\botros perfiles\\b':
        'Hemos elegido otros perfiles.',
    '\\ben esta ocasión\\b[^.!\\n]{0,60}\\bno\\b|\\bno\\b[^.!\\n]{0,80}\\ben esta ocasión\\b':
        'En esta ocasión no podemos ofrecerte el puesto.',
    '\\bno (ha|has) resultado seleccionad':
        'Tu perfil no ha resultado seleccionado.',
    '\\binterview (confirmation|details|reminder|scheduling|availability|slot|invite)\\b':
        'Interview details: Data Analyst, Thursday.',
    '\\byour (\\w+ )?interview (on|at|with|for|is|has)\\b':
        'Your interview on Thursday is confirmed.',
    '\\b(share|send (me |us )?|provide|let (me|us) know) your availability\\b':
        'Please share your availability for next week.',
    '\\b(a |the )?(times?|slots?|day) that (works?|suits?) (for )?(you|best)\\b':
        'Let me know a time that works for you.',
    '\\bnext step\\b[^.!\\n]{0,60}\\b(call|chat|conversation|interview|meeting)\\b':
        'The next step is a 30-minute call with the hiring manager.',
    '\\b(bewerbungs|erst|telefon|video|online-?|auswahl)gespräch':
        'Gerne führen wir ein Bewerbungsgespräch mit Ihnen.',
    '\\b(telefon|video|online-?|job)interview\\b':
        'Gerne möchten wir ein Telefoninterview vereinbaren.',
    '\\b(lade|laden)n? (sie|dich|ihnen)\\b[^.!?\\n]{0,60}\\b(gespräch|interview'
        '|kennenlernen|termin)':
        'Wir laden Sie gerne zu einem Gespräch ein.',
    '\\bwann (passt|hätten|haben|hättest|hast) (es )?(ihnen|dir|sie|du)\\b':
        'Wann passt es Ihnen am besten?',
    '\\btermin\\w*\\b[^.!?\\n]{0,40}\\b(gespräch|telefonat|interview|kennenlernen)':
        'Können wir einen Termin für ein Gespräch finden?',
    '\\bconvocation\\b[^.!\\n]{0,40}\\b(entretien|rendez-vous|échange)':
        'Voici votre convocation à un entretien.',
    '\\b(vos|tes) disponibilités\\b':
        "Merci de m'indiquer vos disponibilités.",
    '\\b(échanger|discuter) (avec vous|avec toi|ensemble|de vive voix|de (votre|ta) candidature)':
        'Nous aimerions échanger avec vous.',
    '\\b(entretien|rendez-vous) (est |a été )?(confirmé|fixé|planifié|programmé)':
        'Votre entretien est confirmé.',
    '\\b(invitamos|invitarle|invitarte|convocamos|convocarte|citarte|citarle'
        ')\\b[^.!\\n]{0,40}\\b(entrevista|reunión|llamada)':
        'Queremos citarte para una entrevista.',
    '\\b(tu|su) disponibilidad\\b':
        'Indícanos tu disponibilidad.',
    '\\bentrevista (confirmada|programada|agendada)':
        'Entrevista confirmada para el jueves.',
    '\\byou (have |.ve )?(successfully )?applied (to|for)\\b':
        'You applied to Data Analyst today.',
    '\\bapplication (sent|complete|completed|successful)\\b':
        'Application sent: Data Analyst.',
    '\\b(we|team|i) (will|.ll|are going to) (now )?(review|carefully review|'
        'look at|assess|be reviewing) your (application|cv|resume|profile|candi'
        'dacy|submission)':
        'We will review your application shortly.',
    '\\bhaben (ihre|deine) bewerbung (erhalten|bekommen)':
        'Wir haben Ihre Bewerbung erhalten.',
    '\\bbewerbung (erhalten|bestätigt|empfangen)\\b':
        'Bewerbung erhalten: Entwickler.',
    '\\b(ihre|deine) (bewerbung|unterlagen)\\b[^.!\\n]{0,40}\\b(prüfen|sichten|ansehen|durchsehen)':
        'Wir werden Ihre Unterlagen sorgfältig prüfen.',
    '\\bcandidature\\b[^.!\\n]{0,40}\\bprise en compte\\b':
        'Votre candidature a bien été prise en compte.',
    '\\b(étudier|examiner|étudierons|examinerons|étudions)\\b[^.!\\n]{0,30}\\b('
        'votre|ta) (candidature|dossier|profil)':
        'Nous allons étudier votre candidature avec attention.',
    '\\b(inscrito|inscrita|inscripción)\\b[^.!\\n]{0,40}\\b(oferta|puesto|proceso|vacante)':
        'Te has inscrito correctamente en la oferta.',
    '\\b(revisaremos|vamos a revisar|estudiaremos|valoraremos|analizaremos)\\'
        'b[^.!\\n]{0,30}\\b(tu|su) (candidatura|cv|perfil|solicitud)':
        'Revisaremos tu candidatura en los próximos días.',
    '\\b(candidatura|solicitud) (enviada|recibida|registrada)\\b':
        'Candidatura enviada: Analista.',
    # ignore, session 16: an account's, a doctor's, a volunteer's, a podcast's or a course's
    # mail is about no application of yours
    '\\b(confirm|verify) your (e-?mail|email address|address|account)\\b|\\bactivate your '
    '(candidate )?(account|profile)\\b|\\b(reset your password|password reset)\\b':
        'Please confirm your email address to activate your candidate account.',
    "\\b(doctor|dentist|dental|medical|vet|hair|clinic)(.s)? appointment\\b|\\byour "
    "appointment (with|at) dr\\b": "This confirms your dentist appointment on Thursday.",
    '\\b(apply|applying|applied|application|sign up) (to|for|as) (a |our )?volunteer|\\'
    'bvolunteer(ing)? (application|sign-?up|role|shift)s?\\b':
        'Thanks for applying to volunteer with us.',
    '\\b(podcast|magazine|newspaper|radio show|documentary|episode)\\b[^.!?\\n]{0,40}\\'
    'binterview|\\binterview\\b[^.!?\\n]{0,40}\\b(podcast|magazine|newspaper|radio show|'
    'documentary|episode)\\b': "I'd love to interview you for our podcast next week.",
    '\\b(enrolled|registered|signed up) (you )?(in|for|on) (the |a |an )?(\\w+ )?(training|'
    'course|e-learning|module)\\b': 'Your manager enrolled you in the compliance training.',
    '\\bbestätige[n]? (sie |du )?(ihre|deine) (e-mail|adresse|e-mail-adresse)\\b|\\b(konto|'
    'bewerberkonto|profil) (zu )?aktivieren\\b|\\bpasswort zurücksetzen\\b':
        'Bitte bestätigen Sie Ihre Adresse, um Ihr Bewerberkonto zu aktivieren.',
    '\\b(ihr|dein) termin (bei|in der) (dr\\b|praxis|zahnarzt)|\\barzttermin\\b|\\'
    'bzahnarzttermin\\b': 'Ihr Termin bei Dr. Berg am Donnerstag ist bestätigt.',
    '\\behrenamt\\w*\\b': 'Danke für Ihr Interesse an unserem Ehrenamt.',
    '\\bconfirme[zr]? (votre|ton) (adresse|e-mail|compte)\\b|\\bactive[zr]? (votre|ton) '
    'compte\\b|\\bréinitialis\\w* (votre|ton) mot de passe':
        'Merci de confirmer votre adresse e-mail.',
    '\\binscrit\\(?e?\\)? à la formation\\b|\\bformation en ligne\\b|\\bmodule '
    'e-learning\\b': 'Vous avez été inscrit(e) à la formation Sécurité.',
    '\\brendez-vous (médical|chez le (médecin|dentiste))|\\bbénévol(at|e)\\b':
        'Votre rendez-vous chez le dentiste est confirmé.',
    '\\bconfirma (tu|su) (correo|dirección|cuenta|email)\\b|\\bactiva (tu|su) cuenta\\b|'
    '\\brestablece[r]? (tu|su) contraseña': 'Confirma tu correo para activar tu cuenta.',
    '\\bcita (médica|con (el|la) (médic[oa]|dentista|doctor[a]?))\\b|\\bvoluntariado\\b':
        'Te recordamos tu cita con el dentista el jueves.',
    # session 16: further indirect wording
    '\\b(programar|agendar|concertar|coordinar|fijar) (una|la|tu|su)'
    ' (entrevista|llamada|reunión|videollamada)\\b':
        'Nos gustaría avanzar con tu candidatura y programar una entrevista.',
    '\\b(have|has|had) (now |already )?filled (the|this|our)'
    ' (position|role|vacancy|opening|post)\\b':
        'We have now filled the position.',
    '\\bpas été (sélectionnée?|retenue?)\\b|\\bne (poursuivrons|continuerons) pas\\b':
        'Nous ne poursuivrons pas le processus avec vous.',
    '\\b(perfil|candidatura|experiencia) no (encaja|se ajusta|cumple)\\b':
        'Tu perfil no encaja con lo que buscamos ahora.',
    '\\bnext (step|stage|round) (is|will be) (a|an) ([\\w-]+'
    ' ){0,3}(assessment|interview|call|conversation|chat|challenge|exercise|case'
    ' study|take-home)\\b':
        'The next step is a 45-minute technical assessment with two engineers.',
    '\\bzeit für (ein|einen) (kurzes |erstes |kurzen |ersten'
    ' )?(gespräch|telefonat|interview|kennenlernen|call|austausch|videocall)':
        'Haben Sie nächste Woche Zeit für ein Gespräch?',
    '\\b(podemos|podríamos|quieres) (hablar|charlar|vernos|quedar)\\b':
        '¿Podemos hablar el martes por la mañana?',
    '\\bmerci d.avoir postulé\\b': "Merci d'avoir postulé, nous étudions votre dossier.",
    '\\b(hop|jump|get) on a (quick |short )?(call|zoom|video call)\\b':
        'Can we hop on a call this week to discuss next steps?',
    '\\bnot (the |a )?(right|best|good|strong|close) (fit|match)\\b':
        'We concluded your profile is not the right fit for this role.',
    '\\b(closing|closed|withdraw\\w*|archiv\\w*) (your|this)'
    ' application\\b|\\b(position|role|search) (has been |is )?(put )?on hold\\b':
        'The position has been put on hold, so we are closing your application.',
    '\\bno longer under consideration\\b':
        'Your application is no longer under consideration.',
    '\\b(zweite[nm]?|dritte[nm]?|nächste[nm]?|finale[nm]?|persönliche[nm]?)'
    ' (gespräch|interview|runde)':
        'Gerne laden wir Sie zum zweiten Gespräch ein.',
    '\\b(gespräch|interview|kennenlernen|termin|videocall)\\w*\\b[^.!?\\n]{0,60}\\beinzuladen\\b':
        'Wir freuen uns, Sie zum Gespräch einzuladen.',
    '\\b(choisir|choisissez|choisis|sélectionner|sélectionnez|réserver|réservez|réserve)'
    ' (un|votre|ton) (créneau|horaire)':
        'Merci de choisir un créneau pour votre entretien.',
    '\\bdisponibilidad para (una|un) (llamada|entrevista|videollamada|reunión|charla)\\b':
        '¿Tendrías disponibilidad para una llamada el jueves?',
    '\\b(elige|elija|escoge|selecciona|seleccione|reserva|reserve) (un|tu|su)'
    ' (horario|hueco|franja|día)':
        'Por favor, elige un horario para tu entrevista.',
    "\\b(proposition|demande|invitation|convocation) (d.|à un |pour un )(entretien|échange|"
    "rendez-vous)\\b": "Voici notre proposition d'entretien pour mardi.",
    '\\bno (fue|fuiste|resultó|resultaste) seleccionad':
        'Lamentamos decirte que tu perfil no fue seleccionado para el puesto.',
    '\\bhemos (cogido|contratado|escogido|elegido|seleccionado) a (otr[oa]s?|un[ao]?|alguien)\\b':
        'Al final hemos contratado a otra persona para el puesto.',
    '\\b(schon|bereits|leider) weg\\b': 'Die Stelle ist leider schon weg.',
    '\\b(you.re|you are|you have been) (confirmed|booked|scheduled) for (your|the|an?) ':
        "You're confirmed for your onsite on Thursday.",
    '\\bon-?site (interview|with|visit)\\b': 'Your onsite interview is next week.',
    "\\b(you.re |you are |we.re |we are |you.ve been |all )?confirmed for (monday|tuesday|"
    "wednesday|thursday|friday|saturday|sunday|tomorrow|today|next week|the \\d|\\d)":
        "Perfect, confirmed for Monday at 10:30am with the VP Engineering.",
    "\\b(te apetece|te parece bien|te va bien|quieres) (que )?(hablemos|charlemos|nos veamos|"
    "nos llamemos)\\b|\\bcuándo te (viene|va) bien\\b":
        "¿Te apetece que hablemos 15 minutos esta semana?",
    "\\b(entretien|rendez-vous|échange) (proposé|prévu|programmé) (le|pour|à|ce|demain|lundi|"
    "mardi|mercredi|jeudi|vendredi)\\b": "Entretien proposé le jeudi 3 décembre à 10h30.",
    # outreach
    "came across your profile": "I came across your profile on a forum.",
    "would you be open to": "Would you be open to a new role?",
    "are you open to (new )?opportunit": "Are you open to new opportunities?",
    "reaching out (about|regarding) (a|an) ": "I'm reaching out about a Staff Engineer role.",
    "thought you might be a great fit": "I thought you might be a great fit.",
    "ihr profil (ist mir )?aufgefallen": "Ihr Profil ist mir aufgefallen.",
    "offen für (eine )?neue": "Sind Sie offen für eine neue Herausforderung?",
    "votre profil a retenu": "Votre profil a retenu mon attention.",
    "ouvert(e)? à de nouvelles opportunités": "Êtes-vous ouvert à de nouvelles opportunités ?",
    "tu perfil me ha": "Tu perfil me ha parecido muy interesante.",
    "abierto a nuevas oportunidades": "¿Estás abierto a nuevas oportunidades?",
    r"\bhope you don.t mind (me )?(reaching out|getting in touch|contacting you|the cold)":
        "Hope you don't mind me reaching out about a platform role.",
    r"\bout of the blue\b": "Sorry to write out of the blue about a data role.",
    r"\b(i.m|i am) (currently )?working on an? (exclusive |confidential |retained )?"
    r"[\w/ -]{0,40}\b(role|search|position|vacancy) (for|with) (a|an|my) ":
        "I'm working on a Head of Platform role for a Series B fintech in Leeds.",
    r"\bauf (ihr|dein) profil aufmerksam\b|\bauf (sie|dich) aufmerksam geworden\b":
        "Ich bin über XING auf Ihr Profil aufmerksam geworden.",
    r"\b(unabhängige[rn]?|selbstständige[rn]?|freie[rn]?) personalberater(in)?\b":
        "Ich bin unabhängiger Personalberater und suche eine Leitung Controlling.",
    r"\bchass(eur|euse) de têtes\b|\brecrut(eur|euse) indépendant(e)?\b":
        "Je suis chasseuse de têtes et j'accompagne une PME industrielle.",
    r"\bvotre parcours m.a (semblé|interpellé|plu)\b":
        "Votre parcours m'a semblé correspondre à un poste de responsable méthodes.",
    r"\b(headhunter|reclutador(a)?|técnica de selección) (independiente|freelance)\b":
        "Soy headhunter independiente y busco un Director Financiero.",
    # session 17: who will receive you names the meeting
    r"\b(vous|te) (recevra|recevrons|recevront|recevoir|accueillera|accueillerons)\b":
        "Mme Roux vous recevra le mercredi 4 novembre à 9h30 pour le poste de technicien.",
    r"\b(te|le) (recibirá|recibiremos|recibirán)\b|\b(recibirte|recibirle)\b":
        "El jefe de taller te recibirá el jueves a las 10:00 para hablar del puesto.",
    # session 17: an application viewed is no news of it
    r"\b(your )?application (was|has been) (viewed|opened|seen)\b|\b(viewed|opened) yo"
    r"ur application\b":
        'Your application was viewed by Acme Robotics.',
    '\\bbewerbung wurde\\b[^.!\\n]{0,40}\\b(angesehen|geöffnet|gelesen)\\b':
        'Ihre Bewerbung wurde von Acme Robotics angesehen.',
    '\\bcandidature a été (consultée|vue|ouverte)\\b':
        'Votre candidature a été consultée par Acme Robotics.',
    '\\bcandidatura (ha sido |fue )?(vista|consultada|abierta)\\b':
        'Tu candidatura ha sido vista por Acme Robotics.',
    # session 17: an assessment or a selection day is the next stage; a test handed in is
    # no news of the application
    r"\b(invited|invites|inviting|invite) (you )?to (take|complete|do|sit) (a|an|the|our)"
    r" ([\w-]+ ){0,3}(test|assessment|challenge|exercise|case study)\b|\b(coding |online "
    r"|technical )?(test|assessment|challenge) invitation\b":
        "Acme Robotics has invited you to take a coding test as the next step for the "
        "Backend Engineer role.",
    r"\b(first|second|third|final|next) stage\b(?! of (the|your|our) (project|product)"
    r")|\bwalk-?in (drive|interview)\b|\bassessment (centre|center|day)\b":
        'You are through to the second stage for the Analyst role at Acme Robotics.',
    r"\b(auswahltag|assessment-?cent(er|re)|einstellungstest|eignungstest|probearbeite"
    r"n|probetag)\b":
        'Wir laden Sie zu unserem Auswahltag am 12. November ein.',
    r"\b(proposition|demande) de rendez-vous\b|\bon s.appelle\b|\brencontr\w* (avec )?"
    r"(l.|notre |mon )?équipe\b":
        "Proposition de rendez-vous pour le poste de chargé d'affaires, on s'appelle jeudi ?",
    r"\b(test|évaluation|exercice) (technique|en ligne)\b[^.!\n]{0,60}\b(invit|réalis|"
    r"pass|compl)":
        'Le test technique en ligne : nous vous invitons à le réaliser cette semaine.',
    '\\b(te|le) invit\\w* a (realizar|completar|hacer) (una|la|nuestra) (prueba|evaluación)\\b':
        'Te invitamos a realizar una prueba online para la vacante de Analista.',
    r"(?![\s\S]{0,400}?\b(unfortunately|regret|decided|not (be )?(moving|proceeding|pr"
    r"ogressing|able)|invite you|like to (invite|meet|speak)|next (round|stage)))(?:\b"
    r"(test|assessment|challenge|video interview|recording)s? (has been |have been |wa"
    r"s )?(submitted|completed)\b|\b(thanks?|thank you) for (completing|submitting|tak"
    r"ing)\b[^.!\n]{0,60}\b(test|assessment|challenge|video interview)\b)":
        'Thank you for completing the Java assessment. Your answers are with the hiring team.',
    r"(?![\s\S]{0,400}?\b(leider|bedauern|entschieden|einladen|einladung))(?:\b(test|a"
    r"ssessment|videointerview)\b[^.!\n]{0,20}\b(eingereicht|abgeschlossen)\b|\bdanke "
    r"(dir |ihnen )?für (die )?(bearbeitung|teilnahme|durchführung)\b[^.!\n]{0,60}\b(t"
    r"est|assessment))":
        'Danke für die Bearbeitung des Online-Tests. Ihre Antworten liegen dem Team vor.',
    r"(?![\s\S]{0,400}?\b(malheureusement|regret|décidé|inviter|convier|rencontrer))(?"
    r":\b(test|évaluation)\b[^.!\n]{0,20}\b(soumis|terminé|complété)e?\b|\bmerci d.avo"
    r"ir (complété|passé|réalisé|terminé)\b[^.!\n]{0,60}\b(test|évaluation))":
        "Merci d'avoir complété le test en ligne. Vos réponses sont transmises à l'équipe.",
    r"(?![\s\S]{0,400}?\b(lamentablemente|desafortunadamente|lamentamos|decidido|invit"
    r"ar|convocar))(?:\b(prueba|test|evaluación)\b[^.!\n]{0,20}\b(enviada|completada|e"
    r"nviado|completado)\b|\bgracias por (completar|realizar|hacer)\b[^.!\n]{0,60}\b(p"
    r"rueba|test|evaluación))":
        'Gracias por completar la prueba online. Tus respuestas están con el equipo.',
    r"\btrial (day|shift)\b|\b(do|complete|try) (our|a|the) (small |short |quick |paid )?"
    r"take-?home\b": "Could you come in for a trial shift on Saturday from 10 to 2?",
    r"\bjournée d.essai\b|\bpetit exercice\b":
        "Je vous propose une journée d'essai à l'atelier la semaine prochaine.",
    r"\b(día|dia|jornada) de prueba\b": "¿Podrías hacer un día de prueba el sábado?",
    r"\bvideoentrevista\b":
        "Como siguiente paso te proponemos una videoentrevista de tres preguntas.",
    r"\b(record|complete|take)\b[^.!?\n]{0,30}\b(one-way |recorded )?video interview\b":
        "As a next step, please record a short one-way video interview this week.",
}

ALL_RULES = [rule for kind in ("ignore", "rejection", "interview", "application", "outreach")
             for rule in RULES.phrases[kind]]


def mail(sentence: str, *, sender: str = "Dana Lee <dana.lee@acme-robotics.example>",
         subject: str = "Your application") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "alex@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Oct 2026 09:30:00 +0200"
    msg["Message-ID"] = "<rule-test@acme-robotics.example>"
    msg.set_content(f"Hi Alex,\n\n{sentence}\n\nBest regards,\nDana Lee\nAcme Robotics\n")
    return msg.as_bytes()


def test_every_rule_has_an_example() -> None:
    missing = [rule.phrase for rule in ALL_RULES if rule.phrase not in EXAMPLES]
    assert missing == [], "add an example sentence for each new rule"
    unused = set(EXAMPLES) - {rule.phrase for rule in ALL_RULES}
    assert unused == set(), "examples of rules that no longer exist"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: f"{r.kind}-{r.language}-{r.phrase[:30]}")
def test_rule(rule) -> None:  # type: ignore[no-untyped-def]
    sentence = EXAMPLES[rule.phrase]
    assert rule.pattern.search(sentence), "the example must match its own rule"
    findings = recognise_bytes(mail(sentence), zone=ZONE, outreach=rule.kind == "outreach")
    if rule.kind == "ignore":
        assert findings == []
    else:
        assert [f.kind for f in findings] == [rule.kind]
        assert findings[0].company == "Acme Robotics"
        assert rule.phrase.split("(")[0][:4].lower() in findings[0].why.lower() or \
            rule.kind in findings[0].why


def test_outreach_only_when_asked() -> None:
    sentence = EXAMPLES["came across your profile"]
    assert recognise_bytes(mail(sentence), zone=ZONE) == []


@pytest.mark.parametrize("domain,name", sorted(RULES.ats.items()))
def test_ats_domain(domain: str, name: str) -> None:
    raw = mail("Thank you for applying for the Data Analyst position at Acme Robotics.",
               sender=f"{name} <no-reply@mail.{domain}>", subject="Thank you for applying")
    [finding] = recognise_bytes(raw, zone=ZONE)
    assert finding.source == name
    assert finding.company == "Acme Robotics"
    assert finding.role == "Data Analyst"
    assert name.lower() not in finding.company.lower()


@pytest.mark.parametrize("domain,name", sorted(RULES.ats.items()))
def test_ats_name_is_never_the_company(domain: str, name: str) -> None:
    # Nothing in the text names the company: the ATS's own name must not stand in.
    raw = mail("Thank you for applying. We will be in touch.",
               sender=f"{name} <no-reply@{domain}>", subject="Thank you for applying")
    assert recognise_bytes(raw, zone=ZONE) == []
