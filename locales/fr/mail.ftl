# Les e-mails, en français. $product est le nom du service.

mail-footer = Vous recevez ce message à la suite d’une action sur votre compte { $product }.
mail-hello = Bonjour,
mail-hello-name = Bonjour { $name },

mail-verify-subject = Confirmez votre adresse e-mail pour { $product }
mail-verify-title = Confirmez votre adresse e-mail
mail-verify-open = merci de confirmer votre adresse e-mail en ouvrant ce lien dans les { $minutes } minutes :
mail-verify-confirm = Confirmer mon adresse e-mail
mail-verify-ignore = Si vous n’avez pas créé de compte, ignorez ce message.

mail-existing-subject = Votre compte { $product }
mail-existing-title = Votre compte
mail-existing-body = Quelqu’un a essayé de créer un compte avec cette adresse e-mail, qui en a déjà un.
mail-existing-sign-in = Si c’était vous, connectez-vous
mail-existing-reset = Mot de passe oublié ? Réinitialisez-le ici
mail-existing-not-you = Si ce n’était pas vous, ignorez ce message ; rien n’a changé.

mail-reset-subject = Réinitialisez votre mot de passe { $product }
mail-reset-title = Réinitialisez votre mot de passe
mail-reset-open = Ouvrez ce lien dans les { $minutes } minutes pour choisir un nouveau mot de passe :
mail-reset-choose = Choisir un nouveau mot de passe
mail-reset-ignore = Le lien ne fonctionne qu’une fois. Si vous ne l’avez pas demandé, ignorez ce message ; votre mot de passe reste inchangé.

mail-password-changed-subject = Votre mot de passe { $product } a été modifié
mail-password-changed-title = Votre mot de passe a été modifié
mail-password-changed-body = Le mot de passe de votre compte vient d’être modifié, et vos autres sessions ont été déconnectées.
mail-password-changed-not-you = Si ce n’était pas vous, réinitialisez immédiatement votre mot de passe :
mail-reset-link = Réinitialiser mon mot de passe

mail-email-changed-subject = Votre adresse e-mail { $product } a été modifiée
mail-email-changed-title = Votre adresse e-mail a été modifiée
mail-email-changed-body = L’adresse e-mail de votre compte vient d’être modifiée, et les e-mails du compte vont désormais à la nouvelle adresse. Ce message va à l’ancienne.
mail-email-changed-not-you = Si ce n’était pas vous, contactez immédiatement l’exploitant de { $product } : quelqu’un a peut-être pris le contrôle de votre compte.

mail-code-subject = Votre code { $product } : { $code }
mail-code-title = Votre code
mail-code-login = Votre code pour vous connecter est :
mail-code-step-up = Votre code pour confirmer une modification de votre compte est :
mail-code-valid = Il est valable { $minutes } minutes. Ne le donnez jamais à quiconque vous le demande.
