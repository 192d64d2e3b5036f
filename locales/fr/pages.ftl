# Les pages hébergées, en français.

language-name = Français

## Commun

common-email = Adresse e-mail
common-password = Mot de passe
common-new-password = Nouveau mot de passe
common-password-recent = Mot de passe (inutile dans les cinq minutes qui suivent la connexion)
common-name = Nom
common-code = Code
common-continue = Continuer
common-allow = Autoriser
common-deny = Refuser
common-sign-in = Se connecter
common-sign-out = Se déconnecter
common-back-to-sign-in = Retour à la connexion
common-check-email = Consultez vos e-mails
common-send-link = Envoyer le lien
common-link-not-valid = Lien non valide
common-link-not-valid-text = Ce lien n’est pas valide, a déjà été utilisé ou a expiré.
common-signed-in-as = Connecté en tant que { $email }.
common-client-asks = { $client } demande à :
common-about-client = À propos de cette application :
common-wait-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
}
common-wait-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}

client-id = Identifiant de l’application :
client-self-registered = Cette application s’est enregistrée elle-même auprès de ce serveur : son nom et son lien sont ses propres déclarations, non vérifiées par l’exploitant de ce serveur.

## Ce qu’une permission autorise, sur les pages de consentement

scope-openid = confirmer votre identité
scope-profile = voir votre nom et votre langue
scope-email = voir votre adresse e-mail
scope-offline-access = garder l’accès quand vous ne l’utilisez pas
scope-permissions = voir les permissions de vos rôles
scope-admin = administrer ce serveur
scope-account = voir votre compte : adresse e-mail, numéro de téléphone, connexions et leurs adresses
scope-account-write = voir et modifier votre compte, et déconnecter vos sessions
scope-other = utiliser cette permission de votre compte

## Pages d’erreur

error-invalid-request = Requête non valide
error-invalid-form = Formulaire non valide
error-form-expired = Formulaire expiré
error-form-expired-text = Ce formulaire a expiré ou a été envoyé depuis un autre site. Revenez en arrière, rechargez la page et réessayez.
error-request-refused = Requête refusée
error-request-expired = Demande expirée
error-request-expired-text = Cette demande de connexion a expiré ou a été commencée dans un autre navigateur. Revenez à l’application et réessayez.
error-cannot-complete = Cette demande ne peut pas aboutir
error-internal = Une erreur s’est produite
error-internal-text = La demande n’a pas pu aboutir. Veuillez réessayer dans un instant.
error-please-wait = Veuillez patienter
error-sign-out-failed = Échec de la déconnexion
error-choose-decision = Choisissez Autoriser ou Refuser.

## Trop de tentatives ($wait : « 5 minutes »)

throttled-attempts = Trop de tentatives. Réessayez dans { $wait }.
throttled-network = Trop de requêtes depuis votre réseau. Réessayez dans { $wait }.
throttled-sign-in-requests = Trop de demandes de connexion. Réessayez dans { $wait }.
throttled-sign-in = Trop de tentatives de connexion depuis votre réseau ou pour ce compte. Réessayez dans { $wait }.
throttled-sign-ups = Trop d’inscriptions depuis votre réseau. Réessayez dans { $wait }.
throttled-codes-requested = Trop de codes demandés. Réessayez dans { $wait }.
throttled-codes = Trop de codes saisis depuis votre réseau. Réessayez dans { $wait }.
throttled-codes-entered = Trop de codes saisis. Réessayez dans { $wait }.
throttled-wrong-codes = Trop de codes erronés pour ce compte. Réessayez dans { $wait }.

## Connexion

login-title = Se connecter
login-create-account = Créer un compte
login-forgot-password = Mot de passe oublié ?
login-resend-confirmation = Envoyer un nouveau lien de confirmation
login-wrong-credentials = L’adresse e-mail ou le mot de passe est incorrect.
login-disabled = Ce compte est désactivé. Contactez l’administrateur.
login-unverified = Confirmez d’abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé.
login-locked = Trop de tentatives de connexion échouées. Réessayez dans { $wait }.

second-title = Deuxième étape
second-heading = Encore une étape
second-code-totp = Code de votre application d’authentification
second-code-email = Code envoyé à votre adresse e-mail
second-lost-device = Appareil perdu ? Utilisez un code de récupération
second-recovery-code = Code de récupération
second-enter-code = Saisissez le code.
second-expired = Cette connexion a expiré ou a reçu trop de codes erronés. Reconnectez-vous.
second-wrong-code = Le code est incorrect.
second-wrong-code-left = Le code est incorrect. { $left ->
    [one] Il reste { $left } essai.
   *[other] Il reste { $left } essais.
}

## Inscription

signup-title = Créer un compte
signup-password-help = Au moins { $min } caractères.
signup-roles = Je suis
signup-submit = Créer le compte
signup-have-account = J’ai déjà un compte
signup-closed = Les inscriptions sont fermées
signup-closed-text = Les nouveaux comptes sont créés par un administrateur.
signup-sent-confirm-first = Nous avons envoyé un lien à votre adresse e-mail. Ouvrez-le pour confirmer l’adresse, puis connectez-vous.
signup-sent = Nous avons envoyé un lien à votre adresse e-mail pour la confirmer. Vous pouvez vous connecter dès maintenant.
signup-continue = Continuer vers la connexion

## Consentement et appareils

consent-title = Autoriser l’accès
consent-heading = Autoriser { $client } à accéder à votre compte ?

device-title = Connecter un appareil
device-intro = Saisissez le code affiché par votre appareil. Vous verrez quelle application demande l’accès avant que quoi que ce soit ne soit autorisé.
device-code-malformed = Un code comporte 8 lettres, par exemple BCDF-GHJK. Vérifiez le code sur votre appareil.
device-code-invalid = Ce code n’est pas valide ou a expiré. Vérifiez le code sur votre appareil, ou recommencez depuis celui-ci.
device-consent-title = Autoriser un appareil
device-consent-heading = Autoriser { $client } sur votre appareil ?
device-consent-warning = N’autorisez ceci que si vous venez de commencer vous-même à vous connecter sur un de vos appareils et qu’il affiche le code { $code }. Si quelqu’un vous a envoyé ce code ou ce lien, choisissez Refuser.
device-connected = Appareil connecté
device-connected-text = { $client } a désormais accès sur votre appareil. Vous pouvez fermer cette page et revenir à votre appareil.
device-denied = Accès refusé
device-denied-text = { $client } n’a pas reçu l’accès. Vous pouvez fermer cette page.

## Déconnexion

logout-heading = Se déconnecter ?
logout-client-asks = { $client } demande à vous déconnecter.
logout-question = Voulez-vous vous déconnecter ?
logout-done-title = Déconnecté
logout-done-heading = Vous êtes déconnecté
logout-done-close = Vous pouvez fermer cette fenêtre.
logout-done-text = Vous êtes déconnecté.
logout-sign-in-again = Se reconnecter
logout-the-application = l’application
logout-continue-to = Continuer vers { $client } ({ $host })

## Réinitialisation du mot de passe et confirmation de l’adresse

password-forgot-title = Mot de passe oublié ?
password-forgot-intro = Saisissez votre adresse e-mail et nous vous enverrons un lien pour choisir un nouveau mot de passe.
password-sent = Si un compte existe pour cette adresse, nous lui avons envoyé un lien pour choisir un nouveau mot de passe. Le lien ne fonctionne qu’une fois et expire bientôt.
password-changed = Mot de passe modifié
password-changed-text = Votre mot de passe est modifié et toutes les sessions ont été déconnectées.
password-new-link = Demander un nouveau lien

reset-title = Choisir un nouveau mot de passe
reset-password-help = Au moins { $min } caractères. Toutes vos sessions seront déconnectées.
reset-submit = Enregistrer le mot de passe

verify-title = Confirmer votre adresse e-mail
verify-intro = Ne confirmez que si vous avez vous-même créé un compte avec cette adresse. Sinon, ignorez cette page et l’e-mail qui vous y a conduit : rien ne se passe sans ce bouton.
verify-submit = Confirmer mon adresse
verify-confirmed = Adresse e-mail confirmée
verify-done = Merci : votre adresse e-mail est confirmée.
verify-new-link = Envoyer un nouveau lien
verify-resend-intro = Saisissez votre adresse et nous vous enverrons un nouveau lien de confirmation.
verify-resent = Si un compte avec cette adresse attend sa confirmation, nous lui avons envoyé un nouveau lien.

## Compte

account-title = Votre compte
account-signed-in-as = Connecté en tant que { $email }.
account-signed-in-as-unconfirmed = Connecté en tant que { $email } (pas encore confirmé).
account-roles = Rôles :
account-profile = Profil
account-given-name = Prénom
account-family-name = Nom de famille
account-language = Langue de ces pages et de nos e-mails
account-language-browser = Celle que demande mon navigateur
account-phone = Numéro de téléphone (pour les codes par SMS)
account-profile-code = Code (seulement pour changer le numéro de téléphone ; voir « Adresse e-mail » plus bas)
account-save-profile = Enregistrer le profil
account-current-password = Mot de passe actuel
account-change-password = Changer le mot de passe
account-totp = Application d’authentification
account-totp-on = Une application d’authentification est configurée. { $left ->
    [one] Il reste { $left } code de récupération.
   *[other] Il reste { $left } codes de récupération.
}
account-totp-disable-code = Code de l’application (ou un code reçu par e-mail)
account-totp-turn-off = Désactiver
account-new-recovery-codes = Nouveaux codes de récupération
account-totp-offer = Ajoutez une deuxième étape à votre connexion avec une application d’authentification.
account-code-help = Pour changer votre adresse ou votre numéro de téléphone, ou désactiver l’application d’authentification, il faut un code que nous envoyons à votre adresse actuelle.
account-send-code = M’envoyer un code par e-mail
account-new-email = Nouvelle adresse e-mail
account-change-email = Changer d’adresse
account-sessions = Sessions
account-this-browser = (ce navigateur)
account-notice-saved = Votre profil est enregistré.
account-notice-password = Votre mot de passe est modifié. Vos autres sessions ont été déconnectées.
account-notice-code-sent = Nous avons envoyé un code à votre adresse e-mail.
account-notice-email = Votre adresse est modifiée. Ouvrez le lien envoyé à la nouvelle adresse pour la confirmer.
account-notice-totp-on = L’application d’authentification est configurée.
account-notice-totp-off = L’application d’authentification est désactivée.
account-notice-session-ended = Cette session est déconnectée.
account-totp-wrong-code = Le code est incorrect. Vérifiez l’heure de votre appareil et réessayez.
account-no-such-session = Cette session n’existe pas.

totp-title = Configurer une application d’authentification
totp-scan = Scannez ce code avec votre application d’authentification :
totp-qr-alt = QR code du secret d’authentification
totp-by-hand = Ou saisissez cette clé à la main :
totp-code = Code affiché par l’application
totp-confirm = Confirmer

recovery-title = Codes de récupération
recovery-heading = Vos codes de récupération
recovery-intro = Conservez ces codes en lieu sûr. Chacun vous connecte une fois si vous perdez votre application d’authentification. Ils ne sont affichés que maintenant.
recovery-saved = Je les ai enregistrés

## Saisies refusées

refused-invalid-email = `{ $email }` n’est pas une adresse e-mail valide.
refused-email-taken = Un compte existe déjà avec cette adresse e-mail.
refused-password-too-short = Le mot de passe doit comporter au moins { $min } caractères.
refused-password-too-long = Le mot de passe doit comporter au plus { $max } caractères.
refused-password-common = Ce mot de passe fait partie des plus courants ; choisissez-en un autre.
refused-password-is-email = Le mot de passe ne doit pas être votre adresse e-mail.
refused-code-replayed = Ce code a déjà été utilisé ; attendez le suivant.
refused-code-missing = Il n’y a pas de code valide ; demandez-en un nouveau.
refused-totp-already-enrolled = Une application d’authentification est déjà configurée ; désactivez-la d’abord.
refused-wrong-password = Le mot de passe actuel est incorrect.
refused-reauthenticate = Saisissez votre mot de passe actuel : vous vous êtes connecté il y a plus de { $minutes } minutes.
refused-step-up = Pour changer le numéro de téléphone, il faut un code envoyé à votre adresse e-mail ; demandez-en un d’abord.

## Clés d'accès

passkeys-title = Clés d'accès
passkeys-intro = Connectez-vous avec le verrouillage d'écran de votre appareil ou une clé de sécurité au lieu de votre mot de passe, sans saisir votre adresse e-mail. Si vous perdez une clé d'accès, connectez-vous avec votre mot de passe (et la deuxième étape) et supprimez-la ici.
passkeys-none = Vous n'avez pas encore de clé d'accès.
passkeys-added-on = ajoutée le { $when }
passkeys-last-used = utilisée pour la dernière fois le { $when }
passkeys-synced = (peut être synchronisée avec vos autres appareils)
passkeys-new-name = Nouveau nom
passkeys-rename = Renommer
passkeys-remove = Supprimer
passkeys-name = Nom de la nouvelle clé d'accès
passkeys-default-name = Clé d'accès
passkeys-add = Ajouter une clé d'accès
passkeys-account-needs-javascript = L'ajout d'une clé d'accès nécessite JavaScript. Tout le reste de cette page fonctionne sans.
passkeys-login-or = Ou connectez-vous sans votre adresse e-mail :
passkeys-login-button = Se connecter avec une clé d'accès
passkeys-login-needs-javascript = La connexion avec une clé d'accès nécessite JavaScript ; votre adresse e-mail et votre mot de passe fonctionnent sans.
passkeys-second-or = Ou, si vous avez ajouté une clé d'accès à votre compte :
passkeys-second-button = Utiliser une clé d'accès
passkeys-second-needs-javascript = Utiliser une clé d'accès ici nécessite JavaScript ; un code fonctionne sans.
passkeys-cancelled = La demande de clé d'accès a été annulée ou a expiré.
passkeys-server-refused = Le serveur a refusé la demande. Rechargez la page et réessayez.
passkeys-not-enabled = Les clés d'accès ne sont pas activées sur ce serveur.
passkeys-sign-in-first = Connectez-vous d'abord.
passkeys-error-expired = Cette demande de clé d'accès a expiré ou a été commencée ailleurs. Réessayez.
passkeys-error-refused = La clé d'accès n'a pas été acceptée.
passkeys-error-cloned = La clé d'accès a été refusée : son compteur de signatures a reculé, l'authentificateur a donc peut-être été copié.
passkeys-error-duplicate = Cette clé d'accès est déjà enregistrée.
passkeys-error-invalid-name = Donnez à la clé d'accès un nom de 1 à { $max } caractères.
passkeys-error-not-found = Cette clé d'accès n'existe pas.
passkeys-error-last-method = Cette clé d'accès est le seul moyen de vous connecter à votre compte. Définissez un mot de passe ou associez un fournisseur de connexion avant de la supprimer.
account-notice-passkey-added = La clé d'accès est ajoutée.
account-notice-passkey-renamed = La clé d'accès est renommée.
account-notice-passkey-removed = La clé d'accès est supprimée.
error-not-found = Introuvable

## Fournisseurs de connexion

upstream-providers = Fournisseurs de connexion
upstream-linked-as = associé ({ $account })
upstream-linked = associé
upstream-not-linked = non associé
upstream-unlink = Dissocier
upstream-link = Associer
upstream-or-sign-in-with = Ou se connecter avec
upstream-link-title = Associer les comptes
upstream-the-provider = le fournisseur
upstream-link-exists = Un compte avec l'adresse e-mail { $email } existe ici.
upstream-link-exists-yours = Un compte avec votre adresse e-mail existe ici.
upstream-link-prove = Pour vous y connecter désormais avec { $provider }, prouvez qu'il est à vous avec son mot de passe.
upstream-link-prove-totp = Pour vous y connecter désormais avec { $provider }, prouvez qu'il est à vous avec son mot de passe et son application d'authentification.
upstream-local-password = Mot de passe de votre compte ici
upstream-link-and-sign-in = Associer et se connecter
upstream-cancel = Annuler
upstream-sign-in-failed = Échec de la connexion
upstream-sign-in-expired = Connexion expirée
upstream-sign-in-expired-text = Cette connexion a expiré, a déjà été utilisée, a eu trop de tentatives erronées ou a été commencée dans un autre navigateur. Connectez-vous à nouveau.
upstream-wrong-password = Le mot de passe est incorrect.
upstream-not-unlinked = Non dissocié
upstream-error-unknown-provider = Il n'existe aucun fournisseur de connexion de ce nom.
upstream-error-refused = Le fournisseur a refusé la connexion ({ $code }).
upstream-error-state = Cette connexion a expiré ou a été commencée dans un autre navigateur. Recommencez.
upstream-error-unavailable = Le fournisseur n'a pas pu être joint ou a répondu quelque chose d'inutilisable.
upstream-error-id-token = La réponse du fournisseur n'a pas passé les vérifications.
upstream-error-no-email = Le fournisseur ne nous a pas communiqué d'adresse e-mail, dont un compte a besoin.
upstream-error-unverified-email = Le fournisseur ne confirme pas votre adresse e-mail : il ne peut donc pas vous connecter ici. Si vous avez un compte ici, connectez-vous avec son mot de passe et associez le fournisseur depuis la page de votre compte.
upstream-error-sign-up-closed = Il n'existe aucun compte pour cette identité, et aucun nouveau compte ne peut être créé ici.
upstream-error-disabled = Ce compte est désactivé. Contactez l'administrateur.
upstream-error-linked-elsewhere = Cette identité est déjà associée à un autre compte.
upstream-error-not-linked = Ce fournisseur n'est pas associé à votre compte.
upstream-error-last-method = C'est le seul moyen de vous connecter à votre compte. Définissez un mot de passe avant de le dissocier.
account-notice-upstream-linked = Le fournisseur de connexion est associé à votre compte.
account-notice-upstream-unlinked = Le fournisseur de connexion est dissocié de votre compte.

## Applications ayant accès

apps-title = Applications ayant accès
apps-link = Voir et retirer les applications qui peuvent utiliser votre compte
apps-intro = Ces applications peuvent utiliser votre compte. Retirer l'accès d'une application la déconnecte : ses jetons ne fonctionnent plus, et elle devra vous redemander.
apps-none = Aucune application n'a accès à votre compte.
apps-self-registered = s'est enregistrée elle-même auprès de ce serveur : son nom est sa propre déclaration
apps-can = Peut :
apps-granted = Accès accordé le { $when }
apps-last-used = utilisée pour la dernière fois le { $when }
apps-remove = Retirer l'accès
apps-removed = L'accès de l'application est retiré. Ses jetons ne fonctionnent plus.
apps-no-access = Cette application n'a pas accès à votre compte.
apps-back = Retour à votre compte
