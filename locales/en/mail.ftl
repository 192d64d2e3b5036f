# The mails, in English. Subjects and bodies; $product is the deployment's name.

mail-footer = You get this message because of an action on your account at { $product }.
mail-hello = Hello,
mail-hello-name = Hello { $name },

mail-verify-subject = Confirm your e-mail address for { $product }
mail-verify-title = Confirm your e-mail address
mail-verify-open = please confirm your e-mail address by opening this link within { $minutes } minutes:
mail-verify-confirm = Confirm my e-mail address
mail-verify-ignore = If you did not create an account, ignore this message.

mail-existing-subject = Your { $product } account
mail-existing-title = Your account
mail-existing-body = Someone tried to create an account with this e-mail address, which already has one.
mail-existing-sign-in = If it was you, sign in
mail-existing-reset = Forgot your password? Reset it here
mail-existing-not-you = If it was not you, ignore this message; nothing has changed.

mail-reset-subject = Reset your { $product } password
mail-reset-title = Reset your password
mail-reset-open = Open this link within { $minutes } minutes to choose a new password:
mail-reset-choose = Choose a new password
mail-reset-ignore = The link works once. If you did not ask for it, ignore this message; your password stays as it is.

mail-password-changed-subject = Your { $product } password was changed
mail-password-changed-title = Your password was changed
mail-password-changed-body = The password of your account was just changed, and your other sessions were signed out.
mail-password-changed-not-you = If this was not you, reset your password at once:
mail-reset-link = Reset my password

mail-email-changed-subject = Your { $product } e-mail address was changed
mail-email-changed-title = Your e-mail address was changed
mail-email-changed-body = The e-mail address of your account was just changed, and mail for the account now goes to the new address. This message goes to the old one.
mail-email-changed-not-you = If this was not you, contact the operator of { $product } at once: someone may have taken over your account.

mail-code-subject = Your { $product } code: { $code }
mail-code-title = Your code
mail-code-login = Your code to sign in is:
mail-code-step-up = Your code to confirm a change to your account is:
mail-code-valid = It is valid for { $minutes } minutes. Never give it to anyone who asks for it.
