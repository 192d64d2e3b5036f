# The hosted pages, in English (the base language: every key exists here).
# Keys: <page>-<what>; "common-" for texts on several pages.

language-name = English

## Shared

common-email = E-mail address
common-password = Password
common-new-password = New password
common-password-recent = Password (not needed within five minutes of signing in)
common-name = Name
common-code = Code
common-continue = Continue
common-allow = Allow
common-deny = Deny
common-sign-in = Sign in
common-sign-out = Sign out
common-back-to-sign-in = Back to sign in
common-check-email = Check your e-mail
common-send-link = Send link
common-link-not-valid = Link not valid
common-link-not-valid-text = This link is invalid, was already used, or has expired.
common-signed-in-as = Signed in as { $email }.
common-client-asks = { $client } asks to:
common-about-client = About this application:
common-wait-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
common-wait-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}

client-id = Application id:
client-self-registered = This application registered itself with this server: its name and link are its own claims, not checked by the operator of this server.

## What a scope allows, on the consent pages

scope-openid = confirm who you are
scope-profile = see your name and language
scope-email = see your e-mail address
scope-offline-access = keep access while you are not using it
scope-permissions = see the permissions of your roles
scope-admin = administer this server
scope-account = see your account: e-mail address, phone number, sign-ins and their addresses
scope-account-write = see and change your account, and sign out your sessions
scope-other = use this permission of your account

## Error pages

error-invalid-request = Invalid request
error-invalid-form = Invalid form
error-form-expired = Form expired
error-form-expired-text = This form has expired or was sent from another site. Go back, reload the page and try again.
error-request-refused = Request refused
error-request-expired = Request expired
error-request-expired-text = This sign-in request has expired or was started in another browser. Go back to the application and try again.
error-cannot-complete = This request cannot be completed
error-internal = Something went wrong
error-internal-text = The request could not be completed. Please try again in a moment.
error-please-wait = Please wait
error-sign-out-failed = Sign-out failed
error-choose-decision = Choose Allow or Deny.

## Too many attempts ($wait: "5 minutes")

throttled-attempts = Too many attempts. Try again in { $wait }.
throttled-network = Too many requests from your network. Try again in { $wait }.
throttled-sign-in-requests = Too many sign-in requests. Try again in { $wait }.
throttled-sign-in = Too many sign-in attempts from your network or for this account. Try again in { $wait }.
throttled-sign-ups = Too many sign-ups from your network. Try again in { $wait }.
throttled-codes-requested = Too many codes requested. Try again in { $wait }.
throttled-codes = Too many codes entered from your network. Try again in { $wait }.
throttled-codes-entered = Too many codes entered. Try again in { $wait }.
throttled-wrong-codes = Too many wrong codes for this account. Try again in { $wait }.

## Sign in

login-title = Sign in
login-create-account = Create an account
login-forgot-password = Forgot your password?
login-resend-confirmation = Send a new confirmation link
login-wrong-credentials = The e-mail address or password is incorrect.
login-disabled = This account is disabled. Contact the administrator.
login-unverified = Confirm your e-mail address first: open the link we sent you.
login-locked = Too many failed sign-in attempts. Try again in { $wait }.

second-title = Second step
second-heading = One more step
second-code-totp = Code from your authenticator app
second-code-email = Code we sent to your e-mail address
second-lost-device = Lost your device? Use a recovery code
second-recovery-code = Recovery code
second-enter-code = Enter the code.
second-expired = This sign-in has expired or had too many wrong codes. Sign in again.
second-wrong-code = The code is not correct.
second-wrong-code-left = The code is not correct. { $left ->
    [one] { $left } try left.
   *[other] { $left } tries left.
}

## Sign up

signup-title = Create an account
signup-password-help = At least { $min } characters.
signup-roles = I am a
signup-submit = Create account
signup-have-account = I already have an account
signup-closed = Sign-up is closed
signup-closed-text = New accounts are created by an administrator.
signup-sent-confirm-first = We sent a link to your e-mail address. Open it to confirm the address, then sign in.
signup-sent = We sent a link to your e-mail address to confirm it. You can sign in now.
signup-continue = Continue to sign in

## Consent and devices

consent-title = Allow access
consent-heading = Allow { $client } to access your account?

device-title = Connect a device
device-intro = Enter the code your device shows. You will see which application asks for access before anything is allowed.
device-code-malformed = A code has 8 letters, such as BCDF-GHJK. Check the code on your device.
device-code-invalid = This code is not valid or has expired. Check the code on your device, or start again there.
device-consent-title = Allow a device
device-consent-heading = Allow { $client } on your device?
device-consent-warning = Only allow this if you started signing in on a device of your own just now, and it shows the code { $code }. If someone sent you this code or link, choose Deny.
device-connected = Device connected
device-connected-text = { $client } on your device now has access. You can close this page and return to your device.
device-denied = Access denied
device-denied-text = { $client } was not given access. You can close this page.

## Sign out

logout-heading = Sign out?
logout-client-asks = { $client } asks to sign you out.
logout-question = Do you want to sign out?
logout-done-title = Signed out
logout-done-heading = You are signed out
logout-done-close = You can close this window.
logout-done-text = You are signed out.
logout-sign-in-again = Sign in again
logout-the-application = the application
logout-continue-to = Continue to { $client } ({ $host })

## Password reset and e-mail confirmation

password-forgot-title = Forgot your password?
password-forgot-intro = Enter your e-mail address and we will send you a link to choose a new password.
password-sent = If an account exists for this address, we sent it a link to choose a new password. The link works once and expires soon.
password-changed = Password changed
password-changed-text = Your password is changed and every session was signed out.
password-new-link = Ask for a new link

reset-title = Choose a new password
reset-password-help = At least { $min } characters. All your sessions will be signed out.
reset-submit = Set password

verify-title = Confirm your e-mail address
verify-intro = Confirm only if you created an account with this address yourself. If you did not, ignore this page and the mail that brought you here: nothing happens without this button.
verify-submit = Confirm my address
verify-confirmed = E-mail address confirmed
verify-done = Thank you: your e-mail address is confirmed.
verify-new-link = Send a new link
verify-resend-intro = Enter your address and we will send you a new confirmation link.
verify-resent = If an account with this address waits for confirmation, we sent it a new link.

## Account

account-title = Your account
account-signed-in-as = Signed in as { $email }.
account-signed-in-as-unconfirmed = Signed in as { $email } (not yet confirmed).
account-roles = Roles:
account-profile = Profile
account-given-name = Given name
account-family-name = Family name
account-language = Language of these pages and of our mails
account-language-browser = As my browser asks
account-phone = Phone number (for text-message codes)
account-profile-code = Code (only to change the phone number; see “E-mail address” below)
account-save-profile = Save profile
account-current-password = Current password
account-change-password = Change password
account-totp = Authenticator app
account-totp-on = An authenticator app is set up. { $left ->
    [one] { $left } recovery code is left.
   *[other] { $left } recovery codes are left.
}
account-totp-disable-code = Code from the app (or an e-mailed code)
account-totp-turn-off = Turn off
account-new-recovery-codes = New recovery codes
account-totp-offer = Add a second step to your sign-in with an authenticator app.
account-code-help = Changing your address or phone number, or turning off the authenticator app, needs a code we send to your current address.
account-send-code = E-mail me a code
account-new-email = New e-mail address
account-change-email = Change address
account-sessions = Sessions
account-this-browser = (this browser)
account-notice-saved = Your profile is saved.
account-notice-password = Your password is changed. Your other sessions were signed out.
account-notice-code-sent = We sent a code to your e-mail address.
account-notice-email = Your address is changed. Open the link we sent to the new address to confirm it.
account-notice-totp-on = The authenticator app is set up.
account-notice-totp-off = The authenticator app is turned off.
account-notice-session-ended = That session is signed out.
account-totp-wrong-code = The code is not correct. Check the time on your device and try again.
account-no-such-session = That session does not exist.

totp-title = Set up an authenticator app
totp-scan = Scan this code with your authenticator app:
totp-qr-alt = QR code of the authenticator secret
totp-by-hand = Or enter this key by hand:
totp-code = Code shown by the app
totp-confirm = Confirm

recovery-title = Recovery codes
recovery-heading = Your recovery codes
recovery-intro = Keep these codes somewhere safe. Each one signs you in once if you lose your authenticator app. They are shown only now.
recovery-saved = I have saved them

## Refused form input

refused-invalid-email = `{ $email }` is not a valid e-mail address.
refused-email-taken = An account with this e-mail address already exists.
refused-password-too-short = The password must be at least { $min } characters long.
refused-password-too-long = The password must be at most { $max } characters long.
refused-password-common = This password is one of the most common passwords; choose another.
refused-password-is-email = The password must not be your e-mail address.
refused-code-replayed = This code was already used; wait for the next one.
refused-code-missing = There is no valid code; request a new one.
refused-totp-already-enrolled = An authenticator app is already set up; disable it first.
refused-wrong-password = The current password is not correct.
refused-reauthenticate = Enter your current password: you signed in more than { $minutes } minutes ago.
refused-step-up = Changing the phone number needs a code sent to your e-mail address; ask for one first.

## Passkeys

passkeys-title = Passkeys
passkeys-intro = Sign in with your device's screen lock or a security key instead of your password, without typing your e-mail address. If you lose a passkey, sign in with your password (and second step) and remove it here.
passkeys-none = You have no passkeys yet.
passkeys-added-on = added { $when }
passkeys-last-used = last used { $when }
passkeys-synced = (may be synced to your other devices)
passkeys-new-name = New name
passkeys-rename = Rename
passkeys-remove = Remove
passkeys-name = Name of the new passkey
passkeys-default-name = Passkey
passkeys-add = Add a passkey
passkeys-account-needs-javascript = Adding a passkey needs JavaScript. Everything else on this page works without it.
passkeys-login-or = Or sign in without your e-mail address:
passkeys-login-button = Sign in with a passkey
passkeys-login-needs-javascript = Signing in with a passkey needs JavaScript; your e-mail address and password work without it.
passkeys-second-or = Or, if you added a passkey to your account:
passkeys-second-button = Use a passkey
passkeys-second-needs-javascript = Using a passkey here needs JavaScript; a code works without it.
passkeys-cancelled = The passkey request was cancelled or timed out.
passkeys-server-refused = The server refused the request. Reload the page and try again.
passkeys-not-enabled = Passkeys are not enabled on this server.
passkeys-sign-in-first = Sign in first.
passkeys-error-expired = This passkey request has expired or was started elsewhere. Try again.
passkeys-error-refused = The passkey was not accepted.
passkeys-error-cloned = The passkey was refused: its signature counter went backwards, so the authenticator may have been copied.
passkeys-error-duplicate = This passkey is registered already.
passkeys-error-invalid-name = Give the passkey a name of 1 to { $max } characters.
passkeys-error-not-found = That passkey does not exist.
passkeys-error-last-method = This passkey is the only way to sign in to your account. Set a password or link a sign-in provider before you remove it.
account-notice-passkey-added = The passkey is added.
account-notice-passkey-renamed = The passkey is renamed.
account-notice-passkey-removed = The passkey is removed.
error-not-found = Not found

## Sign-in providers

upstream-providers = Sign-in providers
upstream-linked-as = linked ({ $account })
upstream-linked = linked
upstream-not-linked = not linked
upstream-unlink = Unlink
upstream-link = Link
upstream-or-sign-in-with = Or sign in with
upstream-link-title = Link accounts
upstream-the-provider = the provider
upstream-link-exists = An account with the e-mail address { $email } exists here.
upstream-link-exists-yours = An account with your e-mail address exists here.
upstream-link-prove = To sign in to it with { $provider } from now on, prove that it is yours with its password.
upstream-link-prove-totp = To sign in to it with { $provider } from now on, prove that it is yours with its password and its authenticator app.
upstream-local-password = Password of your account here
upstream-link-and-sign-in = Link and sign in
upstream-cancel = Cancel
upstream-sign-in-failed = Sign-in failed
upstream-sign-in-expired = Sign-in expired
upstream-sign-in-expired-text = This sign-in has expired, was used, had too many wrong attempts, or was started in another browser. Sign in again.
upstream-wrong-password = The password is incorrect.
upstream-not-unlinked = Not unlinked
upstream-error-unknown-provider = There is no sign-in provider with this name.
upstream-error-refused = The provider refused the sign-in ({ $code }).
upstream-error-state = This sign-in has expired or was started in another browser. Start again.
upstream-error-unavailable = The provider could not be reached or answered something unusable.
upstream-error-id-token = The provider's answer did not pass the checks.
upstream-error-no-email = The provider did not tell us an e-mail address, which an account needs.
upstream-error-unverified-email = The provider does not confirm your e-mail address, so it cannot sign you in here. If you have an account here, sign in with its password and link the provider from your account page.
upstream-error-sign-up-closed = There is no account for this identity, and new accounts cannot be created here.
upstream-error-disabled = This account is disabled. Contact the administrator.
upstream-error-linked-elsewhere = This identity is already linked to another account.
upstream-error-not-linked = This provider is not linked to your account.
upstream-error-last-method = This is the only way to sign in to your account. Set a password before you unlink it.
account-notice-upstream-linked = The sign-in provider is linked to your account.
account-notice-upstream-unlinked = The sign-in provider is unlinked from your account.

## Apps with access

apps-title = Apps with access
apps-link = See and remove the apps that can use your account
apps-intro = These applications can use your account. Removing an app's access signs it out: its tokens stop working, and it has to ask you again.
apps-none = No application has access to your account.
apps-self-registered = registered itself with this server: its name is its own claim
apps-can = Can:
apps-granted = Access given { $when }
apps-last-used = last used { $when }
apps-remove = Remove access
apps-removed = The app's access is removed. Its tokens no longer work.
apps-no-access = That application has no access to your account.
apps-back = Back to your account
