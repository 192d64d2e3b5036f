# Die E-Mails, auf Deutsch. $product ist der Name des Dienstes.

mail-footer = Sie erhalten diese Nachricht wegen einer Aktion in Ihrem Konto bei { $product }.
mail-hello = Hallo,
mail-hello-name = Hallo { $name },

mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse für { $product }
mail-verify-title = Bestätigen Sie Ihre E-Mail-Adresse
mail-verify-open = bitte bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link innerhalb von { $minutes } Minuten öffnen:
mail-verify-confirm = Meine E-Mail-Adresse bestätigen
mail-verify-ignore = Wenn Sie kein Konto erstellt haben, ignorieren Sie diese Nachricht.

mail-existing-subject = Ihr Konto bei { $product }
mail-existing-title = Ihr Konto
mail-existing-body = Jemand hat versucht, mit dieser E-Mail-Adresse ein Konto zu erstellen, doch zu ihr gibt es schon eines.
mail-existing-sign-in = Wenn Sie es waren, melden Sie sich an
mail-existing-reset = Passwort vergessen? Hier setzen Sie es zurück
mail-existing-not-you = Wenn Sie es nicht waren, ignorieren Sie diese Nachricht; es hat sich nichts geändert.

mail-reset-subject = Setzen Sie Ihr Passwort für { $product } zurück
mail-reset-title = Passwort zurücksetzen
mail-reset-open = Öffnen Sie diesen Link innerhalb von { $minutes } Minuten, um ein neues Passwort zu wählen:
mail-reset-choose = Neues Passwort wählen
mail-reset-ignore = Der Link funktioniert einmal. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht; Ihr Passwort bleibt, wie es ist.

mail-password-changed-subject = Ihr Passwort für { $product } wurde geändert
mail-password-changed-title = Ihr Passwort wurde geändert
mail-password-changed-body = Das Passwort Ihres Kontos wurde soeben geändert, und Ihre anderen Sitzungen wurden abgemeldet.
mail-password-changed-not-you = Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort zurück:
mail-reset-link = Mein Passwort zurücksetzen

mail-email-changed-subject = Ihre E-Mail-Adresse bei { $product } wurde geändert
mail-email-changed-title = Ihre E-Mail-Adresse wurde geändert
mail-email-changed-body = Die E-Mail-Adresse Ihres Kontos wurde soeben geändert, und E-Mails für das Konto gehen jetzt an die neue Adresse. Diese Nachricht geht an die alte.
mail-email-changed-not-you = Wenn Sie das nicht waren, wenden Sie sich sofort an den Betreiber von { $product }: Jemand hat vielleicht Ihr Konto übernommen.

mail-code-subject = Ihr Code für { $product }: { $code }
mail-code-title = Ihr Code
mail-code-login = Ihr Code zum Anmelden lautet:
mail-code-step-up = Ihr Code zum Bestätigen einer Änderung an Ihrem Konto lautet:
mail-code-valid = Er gilt { $minutes } Minuten. Geben Sie ihn niemandem, der danach fragt.
