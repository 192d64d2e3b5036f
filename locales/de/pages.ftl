# Die gehosteten Seiten, auf Deutsch.

language-name = Deutsch

## Gemeinsam

common-email = E-Mail-Adresse
common-password = Passwort
common-new-password = Neues Passwort
common-password-recent = Passwort (nicht nötig innerhalb von fünf Minuten nach der Anmeldung)
common-name = Name
common-code = Code
common-continue = Weiter
common-allow = Erlauben
common-deny = Ablehnen
common-sign-in = Anmelden
common-sign-out = Abmelden
common-back-to-sign-in = Zurück zur Anmeldung
common-check-email = Sehen Sie in Ihre E-Mails
common-send-link = Link senden
common-link-not-valid = Link ungültig
common-link-not-valid-text = Dieser Link ist ungültig, wurde schon benutzt oder ist abgelaufen.
common-signed-in-as = Angemeldet als { $email }.
common-client-asks = { $client } möchte:
common-about-client = Über diese Anwendung:
common-wait-seconds = { $n ->
    [one] { $n } Sekunde
   *[other] { $n } Sekunden
}
common-wait-minutes = { $n ->
    [one] { $n } Minute
   *[other] { $n } Minuten
}

client-id = Kennung der Anwendung:
client-self-registered = Diese Anwendung hat sich selbst bei diesem Server registriert: Name und Link sind ihre eigenen Angaben und wurden vom Betreiber dieses Servers nicht geprüft.

## Was ein Scope erlaubt, auf den Zustimmungsseiten

scope-openid = zu bestätigen, wer Sie sind
scope-profile = Ihren Namen und Ihre Sprache zu sehen
scope-email = Ihre E-Mail-Adresse zu sehen
scope-offline-access = den Zugriff zu behalten, während Sie sie nicht benutzen
scope-permissions = die Berechtigungen Ihrer Rollen zu sehen
scope-admin = diesen Server zu verwalten
scope-account = Ihr Konto zu sehen: E-Mail-Adresse, Telefonnummer, Anmeldungen und ihre Adressen
scope-account-write = Ihr Konto zu sehen und zu ändern und Ihre Sitzungen abzumelden
scope-other = diese Berechtigung Ihres Kontos zu nutzen

## Fehlerseiten

error-invalid-request = Ungültige Anfrage
error-invalid-form = Ungültiges Formular
error-form-expired = Formular abgelaufen
error-form-expired-text = Dieses Formular ist abgelaufen oder wurde von einer anderen Website gesendet. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
error-request-refused = Anfrage abgelehnt
error-request-expired = Anfrage abgelaufen
error-request-expired-text = Diese Anmeldeanfrage ist abgelaufen oder wurde in einem anderen Browser begonnen. Gehen Sie zurück zur Anwendung und versuchen Sie es noch einmal.
error-cannot-complete = Diese Anfrage kann nicht abgeschlossen werden
error-internal = Etwas ist schiefgegangen
error-internal-text = Die Anfrage konnte nicht abgeschlossen werden. Bitte versuchen Sie es gleich noch einmal.
error-please-wait = Bitte warten
error-sign-out-failed = Abmeldung fehlgeschlagen
error-choose-decision = Wählen Sie „Erlauben“ oder „Ablehnen“.

## Zu viele Versuche ($wait: „5 Minuten“)

throttled-attempts = Zu viele Versuche. Versuchen Sie es in { $wait } noch einmal.
throttled-network = Zu viele Anfragen aus Ihrem Netzwerk. Versuchen Sie es in { $wait } noch einmal.
throttled-sign-in-requests = Zu viele Anmeldeanfragen. Versuchen Sie es in { $wait } noch einmal.
throttled-sign-in = Zu viele Anmeldeversuche aus Ihrem Netzwerk oder für dieses Konto. Versuchen Sie es in { $wait } noch einmal.
throttled-sign-ups = Zu viele Registrierungen aus Ihrem Netzwerk. Versuchen Sie es in { $wait } noch einmal.
throttled-codes-requested = Zu viele Codes angefordert. Versuchen Sie es in { $wait } noch einmal.
throttled-codes = Zu viele Codes aus Ihrem Netzwerk eingegeben. Versuchen Sie es in { $wait } noch einmal.
throttled-codes-entered = Zu viele Codes eingegeben. Versuchen Sie es in { $wait } noch einmal.
throttled-wrong-codes = Zu viele falsche Codes für dieses Konto. Versuchen Sie es in { $wait } noch einmal.

## Anmelden

login-title = Anmelden
login-create-account = Konto erstellen
login-forgot-password = Passwort vergessen?
login-resend-confirmation = Neuen Bestätigungslink senden
login-wrong-credentials = E-Mail-Adresse oder Passwort ist falsch.
login-disabled = Dieses Konto ist gesperrt. Wenden Sie sich an den Administrator.
login-unverified = Bestätigen Sie zuerst Ihre E-Mail-Adresse: Öffnen Sie den Link, den wir Ihnen geschickt haben.
login-locked = Zu viele fehlgeschlagene Anmeldeversuche. Versuchen Sie es in { $wait } noch einmal.

second-title = Zweiter Schritt
second-heading = Noch ein Schritt
second-code-totp = Code aus Ihrer Authenticator-App
second-code-email = Code, den wir an Ihre E-Mail-Adresse geschickt haben
second-lost-device = Gerät verloren? Nutzen Sie einen Wiederherstellungscode
second-recovery-code = Wiederherstellungscode
second-enter-code = Geben Sie den Code ein.
second-expired = Diese Anmeldung ist abgelaufen oder hatte zu viele falsche Codes. Melden Sie sich erneut an.
second-wrong-code = Der Code ist nicht richtig.
second-wrong-code-left = Der Code ist nicht richtig. { $left ->
    [one] Noch { $left } Versuch.
   *[other] Noch { $left } Versuche.
}

## Registrieren

signup-title = Konto erstellen
signup-password-help = Mindestens { $min } Zeichen.
signup-roles = Ich bin
signup-submit = Konto erstellen
signup-have-account = Ich habe schon ein Konto
signup-closed = Registrierung geschlossen
signup-closed-text = Neue Konten legt ein Administrator an.
signup-sent-confirm-first = Wir haben einen Link an Ihre E-Mail-Adresse geschickt. Öffnen Sie ihn, um die Adresse zu bestätigen, und melden Sie sich dann an.
signup-sent = Wir haben einen Link an Ihre E-Mail-Adresse geschickt, um sie zu bestätigen. Sie können sich jetzt anmelden.
signup-continue = Weiter zur Anmeldung

## Zustimmung und Geräte

consent-title = Zugriff erlauben
consent-heading = { $client } Zugriff auf Ihr Konto erlauben?

device-title = Gerät verbinden
device-intro = Geben Sie den Code ein, den Ihr Gerät anzeigt. Bevor etwas erlaubt wird, sehen Sie, welche Anwendung um Zugriff bittet.
device-code-malformed = Ein Code hat 8 Buchstaben, etwa BCDF-GHJK. Prüfen Sie den Code auf Ihrem Gerät.
device-code-invalid = Dieser Code ist ungültig oder abgelaufen. Prüfen Sie den Code auf Ihrem Gerät oder beginnen Sie dort von vorn.
device-consent-title = Gerät erlauben
device-consent-heading = { $client } auf Ihrem Gerät erlauben?
device-consent-warning = Erlauben Sie dies nur, wenn Sie gerade selbst auf einem eigenen Gerät mit der Anmeldung begonnen haben und es den Code { $code } anzeigt. Wenn Ihnen jemand diesen Code oder Link geschickt hat, wählen Sie „Ablehnen“.
device-connected = Gerät verbunden
device-connected-text = { $client } hat jetzt Zugriff auf Ihrem Gerät. Sie können diese Seite schließen und zu Ihrem Gerät zurückkehren.
device-denied = Zugriff abgelehnt
device-denied-text = { $client } hat keinen Zugriff erhalten. Sie können diese Seite schließen.

## Abmelden

logout-heading = Abmelden?
logout-client-asks = { $client } möchte Sie abmelden.
logout-question = Möchten Sie sich abmelden?
logout-done-title = Abgemeldet
logout-done-heading = Sie sind abgemeldet
logout-done-close = Sie können dieses Fenster schließen.
logout-done-text = Sie sind abgemeldet.
logout-sign-in-again = Erneut anmelden
logout-the-application = die Anwendung
logout-continue-to = Weiter zu { $client } ({ $host })

## Passwort zurücksetzen und E-Mail bestätigen

password-forgot-title = Passwort vergessen?
password-forgot-intro = Geben Sie Ihre E-Mail-Adresse ein, und wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort wählen.
password-sent = Falls es zu dieser Adresse ein Konto gibt, haben wir ihr einen Link zum Wählen eines neuen Passworts geschickt. Der Link funktioniert einmal und läuft bald ab.
password-changed = Passwort geändert
password-changed-text = Ihr Passwort ist geändert, und alle Sitzungen wurden abgemeldet.
password-new-link = Neuen Link anfordern

reset-title = Neues Passwort wählen
reset-password-help = Mindestens { $min } Zeichen. Alle Ihre Sitzungen werden abgemeldet.
reset-submit = Passwort festlegen

verify-title = E-Mail-Adresse bestätigen
verify-intro = Bestätigen Sie nur, wenn Sie selbst ein Konto mit dieser Adresse erstellt haben. Falls nicht, ignorieren Sie diese Seite und die E-Mail, die Sie hierher gebracht hat: Ohne diese Schaltfläche geschieht nichts.
verify-submit = Meine Adresse bestätigen
verify-confirmed = E-Mail-Adresse bestätigt
verify-done = Danke: Ihre E-Mail-Adresse ist bestätigt.
verify-new-link = Neuen Link senden
verify-resend-intro = Geben Sie Ihre Adresse ein, und wir schicken Ihnen einen neuen Bestätigungslink.
verify-resent = Falls ein Konto mit dieser Adresse auf Bestätigung wartet, haben wir ihm einen neuen Link geschickt.

## Konto

account-title = Ihr Konto
account-signed-in-as = Angemeldet als { $email }.
account-signed-in-as-unconfirmed = Angemeldet als { $email } (noch nicht bestätigt).
account-roles = Rollen:
account-profile = Profil
account-given-name = Vorname
account-family-name = Nachname
account-language = Sprache dieser Seiten und unserer E-Mails
account-language-browser = Wie mein Browser es wünscht
account-phone = Telefonnummer (für Codes per SMS)
account-profile-code = Code (nur zum Ändern der Telefonnummer; siehe „E-Mail-Adresse“ unten)
account-save-profile = Profil speichern
account-current-password = Aktuelles Passwort
account-change-password = Passwort ändern
account-totp = Authenticator-App
account-totp-on = Eine Authenticator-App ist eingerichtet. { $left ->
    [one] { $left } Wiederherstellungscode ist übrig.
   *[other] { $left } Wiederherstellungscodes sind übrig.
}
account-totp-disable-code = Code aus der App (oder ein per E-Mail gesendeter Code)
account-totp-turn-off = Ausschalten
account-new-recovery-codes = Neue Wiederherstellungscodes
account-totp-offer = Sichern Sie Ihre Anmeldung mit einem zweiten Schritt über eine Authenticator-App.
account-code-help = Um Ihre Adresse oder Telefonnummer zu ändern oder die Authenticator-App auszuschalten, brauchen Sie einen Code, den wir an Ihre aktuelle Adresse schicken.
account-send-code = Code per E-Mail senden
account-new-email = Neue E-Mail-Adresse
account-change-email = Adresse ändern
account-sessions = Sitzungen
account-this-browser = (dieser Browser)
account-notice-saved = Ihr Profil ist gespeichert.
account-notice-password = Ihr Passwort ist geändert. Ihre anderen Sitzungen wurden abgemeldet.
account-notice-code-sent = Wir haben einen Code an Ihre E-Mail-Adresse geschickt.
account-notice-email = Ihre Adresse ist geändert. Öffnen Sie den Link, den wir an die neue Adresse geschickt haben, um sie zu bestätigen.
account-notice-totp-on = Die Authenticator-App ist eingerichtet.
account-notice-totp-off = Die Authenticator-App ist ausgeschaltet.
account-notice-session-ended = Diese Sitzung ist abgemeldet.
account-totp-wrong-code = Der Code ist nicht richtig. Prüfen Sie die Uhrzeit Ihres Geräts und versuchen Sie es noch einmal.
account-no-such-session = Diese Sitzung gibt es nicht.

totp-title = Authenticator-App einrichten
totp-scan = Scannen Sie diesen Code mit Ihrer Authenticator-App:
totp-qr-alt = QR-Code des Authenticator-Schlüssels
totp-by-hand = Oder geben Sie diesen Schlüssel von Hand ein:
totp-code = Von der App angezeigter Code
totp-confirm = Bestätigen

recovery-title = Wiederherstellungscodes
recovery-heading = Ihre Wiederherstellungscodes
recovery-intro = Bewahren Sie diese Codes sicher auf. Jeder meldet Sie einmal an, wenn Sie Ihre Authenticator-App verlieren. Sie werden nur jetzt angezeigt.
recovery-saved = Ich habe sie gespeichert

## Abgelehnte Eingaben

refused-invalid-email = `{ $email }` ist keine gültige E-Mail-Adresse.
refused-email-taken = Zu dieser E-Mail-Adresse gibt es schon ein Konto.
refused-password-too-short = Das Passwort muss mindestens { $min } Zeichen lang sein.
refused-password-too-long = Das Passwort darf höchstens { $max } Zeichen lang sein.
refused-password-common = Dieses Passwort gehört zu den häufigsten Passwörtern; wählen Sie ein anderes.
refused-password-is-email = Das Passwort darf nicht Ihre E-Mail-Adresse sein.
refused-code-replayed = Dieser Code wurde schon benutzt; warten Sie auf den nächsten.
refused-code-missing = Es gibt keinen gültigen Code; fordern Sie einen neuen an.
refused-totp-already-enrolled = Eine Authenticator-App ist schon eingerichtet; schalten Sie sie zuerst aus.
refused-wrong-password = Das aktuelle Passwort ist nicht richtig.
refused-reauthenticate = Geben Sie Ihr aktuelles Passwort ein: Sie haben sich vor mehr als { $minutes } Minuten angemeldet.
refused-step-up = Um die Telefonnummer zu ändern, brauchen Sie einen Code, den wir an Ihre E-Mail-Adresse schicken; fordern Sie zuerst einen an.

## Passkeys

passkeys-title = Passkeys
passkeys-intro = Melden Sie sich mit der Bildschirmsperre Ihres Geräts oder einem Sicherheitsschlüssel an statt mit Ihrem Passwort, ohne Ihre E-Mail-Adresse einzugeben. Wenn Sie einen Passkey verlieren, melden Sie sich mit Ihrem Passwort (und dem zweiten Schritt) an und entfernen Sie ihn hier.
passkeys-none = Sie haben noch keine Passkeys.
passkeys-added-on = hinzugefügt am { $when }
passkeys-last-used = zuletzt benutzt am { $when }
passkeys-synced = (wird eventuell mit Ihren anderen Geräten synchronisiert)
passkeys-new-name = Neuer Name
passkeys-rename = Umbenennen
passkeys-remove = Entfernen
passkeys-name = Name des neuen Passkeys
passkeys-default-name = Passkey
passkeys-add = Passkey hinzufügen
passkeys-account-needs-javascript = Zum Hinzufügen eines Passkeys wird JavaScript benötigt. Alles andere auf dieser Seite funktioniert ohne.
passkeys-login-or = Oder melden Sie sich ohne Ihre E-Mail-Adresse an:
passkeys-login-button = Mit einem Passkey anmelden
passkeys-login-needs-javascript = Die Anmeldung mit einem Passkey benötigt JavaScript; E-Mail-Adresse und Passwort funktionieren ohne.
passkeys-second-or = Oder, wenn Sie Ihrem Konto einen Passkey hinzugefügt haben:
passkeys-second-button = Passkey verwenden
passkeys-second-needs-javascript = Einen Passkey hier zu verwenden, benötigt JavaScript; ein Code funktioniert ohne.
passkeys-cancelled = Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen.
passkeys-server-refused = Der Server hat die Anfrage abgelehnt. Laden Sie die Seite neu und versuchen Sie es noch einmal.
passkeys-not-enabled = Passkeys sind auf diesem Server nicht eingeschaltet.
passkeys-sign-in-first = Melden Sie sich zuerst an.
passkeys-error-expired = Diese Passkey-Anfrage ist abgelaufen oder wurde anderswo begonnen. Versuchen Sie es noch einmal.
passkeys-error-refused = Der Passkey wurde nicht angenommen.
passkeys-error-cloned = Der Passkey wurde abgelehnt: Sein Signaturzähler ist zurückgegangen, der Authenticator wurde also vielleicht kopiert.
passkeys-error-duplicate = Dieser Passkey ist bereits registriert.
passkeys-error-invalid-name = Geben Sie dem Passkey einen Namen mit 1 bis { $max } Zeichen.
passkeys-error-not-found = Diesen Passkey gibt es nicht.
passkeys-error-last-method = Dieser Passkey ist der einzige Weg, sich bei Ihrem Konto anzumelden. Legen Sie ein Passwort fest oder verknüpfen Sie einen Anmeldeanbieter, bevor Sie ihn entfernen.
account-notice-passkey-added = Der Passkey ist hinzugefügt.
account-notice-passkey-renamed = Der Passkey ist umbenannt.
account-notice-passkey-removed = Der Passkey ist entfernt.
error-not-found = Nicht gefunden

## Anmeldeanbieter

upstream-providers = Anmeldeanbieter
upstream-linked-as = verknüpft ({ $account })
upstream-linked = verknüpft
upstream-not-linked = nicht verknüpft
upstream-unlink = Verknüpfung lösen
upstream-link = Verknüpfen
upstream-or-sign-in-with = Oder anmelden mit
upstream-link-title = Konten verknüpfen
upstream-the-provider = dem Anbieter
upstream-link-exists = Hier gibt es ein Konto mit der E-Mail-Adresse { $email }.
upstream-link-exists-yours = Hier gibt es ein Konto mit Ihrer E-Mail-Adresse.
upstream-link-prove = Um sich künftig mit { $provider } daran anzumelden, beweisen Sie mit seinem Passwort, dass es Ihres ist.
upstream-link-prove-totp = Um sich künftig mit { $provider } daran anzumelden, beweisen Sie mit seinem Passwort und seiner Authenticator-App, dass es Ihres ist.
upstream-local-password = Passwort Ihres Kontos hier
upstream-link-and-sign-in = Verknüpfen und anmelden
upstream-cancel = Abbrechen
upstream-sign-in-failed = Anmeldung fehlgeschlagen
upstream-sign-in-expired = Anmeldung abgelaufen
upstream-sign-in-expired-text = Diese Anmeldung ist abgelaufen, wurde schon benutzt, hatte zu viele falsche Versuche oder wurde in einem anderen Browser begonnen. Melden Sie sich noch einmal an.
upstream-wrong-password = Das Passwort ist falsch.
upstream-not-unlinked = Verknüpfung nicht gelöst
upstream-error-unknown-provider = Es gibt keinen Anmeldeanbieter mit diesem Namen.
upstream-error-refused = Der Anbieter hat die Anmeldung abgelehnt ({ $code }).
upstream-error-state = Diese Anmeldung ist abgelaufen oder wurde in einem anderen Browser begonnen. Beginnen Sie noch einmal.
upstream-error-unavailable = Der Anbieter war nicht erreichbar oder hat etwas Unbrauchbares geantwortet.
upstream-error-id-token = Die Antwort des Anbieters hat die Prüfungen nicht bestanden.
upstream-error-no-email = Der Anbieter hat uns keine E-Mail-Adresse genannt, die ein Konto aber braucht.
upstream-error-unverified-email = Der Anbieter bestätigt Ihre E-Mail-Adresse nicht, daher kann er Sie hier nicht anmelden. Wenn Sie hier ein Konto haben, melden Sie sich mit dessen Passwort an und verknüpfen Sie den Anbieter auf Ihrer Kontoseite.
upstream-error-sign-up-closed = Zu dieser Identität gibt es kein Konto, und hier können keine neuen Konten angelegt werden.
upstream-error-disabled = Dieses Konto ist gesperrt. Wenden Sie sich an den Administrator.
upstream-error-linked-elsewhere = Diese Identität ist bereits mit einem anderen Konto verknüpft.
upstream-error-not-linked = Dieser Anbieter ist nicht mit Ihrem Konto verknüpft.
upstream-error-last-method = Dies ist der einzige Weg, sich bei Ihrem Konto anzumelden. Legen Sie ein Passwort fest, bevor Sie die Verknüpfung lösen.
account-notice-upstream-linked = Der Anmeldeanbieter ist mit Ihrem Konto verknüpft.
account-notice-upstream-unlinked = Die Verknüpfung mit dem Anmeldeanbieter ist gelöst.

## Apps mit Zugriff

apps-title = Apps mit Zugriff
apps-link = Die Apps sehen und entfernen, die Ihr Konto nutzen können
apps-intro = Diese Anwendungen können Ihr Konto nutzen. Wenn Sie einer App den Zugriff entziehen, wird sie abgemeldet: Ihre Tokens funktionieren nicht mehr, und sie muss Sie erneut fragen.
apps-none = Keine Anwendung hat Zugriff auf Ihr Konto.
apps-self-registered = hat sich selbst bei diesem Server registriert: Ihr Name ist ihre eigene Angabe
apps-can = Darf:
apps-granted = Zugriff erteilt am { $when }
apps-last-used = zuletzt benutzt am { $when }
apps-remove = Zugriff entziehen
apps-removed = Der Zugriff der App ist entzogen. Ihre Tokens funktionieren nicht mehr.
apps-no-access = Diese Anwendung hat keinen Zugriff auf Ihr Konto.
apps-back = Zurück zu Ihrem Konto
