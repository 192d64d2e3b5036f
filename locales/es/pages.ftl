# Las páginas alojadas, en español.

language-name = Español

## Común

common-email = Correo electrónico
common-password = Contraseña
common-new-password = Nueva contraseña
common-password-recent = Contraseña (no hace falta en los cinco minutos siguientes a iniciar sesión)
common-name = Nombre
common-code = Código
common-continue = Continuar
common-allow = Permitir
common-deny = Denegar
common-sign-in = Iniciar sesión
common-sign-out = Cerrar sesión
common-back-to-sign-in = Volver a iniciar sesión
common-check-email = Revise su correo
common-send-link = Enviar enlace
common-link-not-valid = Enlace no válido
common-link-not-valid-text = Este enlace no es válido, ya se usó o ha caducado.
common-signed-in-as = Sesión iniciada como { $email }.
common-client-asks = { $client } solicita:
common-about-client = Acerca de esta aplicación:
common-wait-seconds = { $n ->
    [one] { $n } segundo
   *[other] { $n } segundos
}
common-wait-minutes = { $n ->
    [one] { $n } minuto
   *[other] { $n } minutos
}

client-id = Identificador de la aplicación:
client-self-registered = Esta aplicación se registró a sí misma en este servidor: su nombre y su enlace son declaraciones propias, no comprobadas por el operador de este servidor.

## Lo que permite un ámbito, en las páginas de consentimiento

scope-openid = confirmar quién es usted
scope-profile = ver su nombre y su idioma
scope-email = ver su correo electrónico
scope-offline-access = mantener el acceso mientras usted no la usa
scope-permissions = ver los permisos de sus roles
scope-admin = administrar este servidor
scope-account = ver su cuenta: correo electrónico, número de teléfono, inicios de sesión y sus direcciones
scope-account-write = ver y cambiar su cuenta, y cerrar sus sesiones
scope-other = usar este permiso de su cuenta

## Páginas de error

error-invalid-request = Solicitud no válida
error-invalid-form = Formulario no válido
error-form-expired = Formulario caducado
error-form-expired-text = Este formulario ha caducado o se envió desde otro sitio. Vuelva atrás, recargue la página e inténtelo de nuevo.
error-request-refused = Solicitud rechazada
error-request-expired = Solicitud caducada
error-request-expired-text = Esta solicitud de inicio de sesión ha caducado o se inició en otro navegador. Vuelva a la aplicación e inténtelo de nuevo.
error-cannot-complete = Esta solicitud no se puede completar
error-internal = Algo ha salido mal
error-internal-text = No se pudo completar la solicitud. Inténtelo de nuevo en un momento.
error-please-wait = Espere, por favor
error-sign-out-failed = No se pudo cerrar la sesión
error-choose-decision = Elija Permitir o Denegar.

## Demasiados intentos ($wait: «5 minutos»)

throttled-attempts = Demasiados intentos. Inténtelo de nuevo dentro de { $wait }.
throttled-network = Demasiadas solicitudes desde su red. Inténtelo de nuevo dentro de { $wait }.
throttled-sign-in-requests = Demasiadas solicitudes de inicio de sesión. Inténtelo de nuevo dentro de { $wait }.
throttled-sign-in = Demasiados intentos de inicio de sesión desde su red o para esta cuenta. Inténtelo de nuevo dentro de { $wait }.
throttled-sign-ups = Demasiados registros desde su red. Inténtelo de nuevo dentro de { $wait }.
throttled-codes-requested = Demasiados códigos solicitados. Inténtelo de nuevo dentro de { $wait }.
throttled-codes = Demasiados códigos introducidos desde su red. Inténtelo de nuevo dentro de { $wait }.
throttled-codes-entered = Demasiados códigos introducidos. Inténtelo de nuevo dentro de { $wait }.
throttled-wrong-codes = Demasiados códigos incorrectos para esta cuenta. Inténtelo de nuevo dentro de { $wait }.

## Iniciar sesión

login-title = Iniciar sesión
login-create-account = Crear una cuenta
login-forgot-password = ¿Ha olvidado su contraseña?
login-resend-confirmation = Enviar un nuevo enlace de confirmación
login-wrong-credentials = El correo electrónico o la contraseña no son correctos.
login-disabled = Esta cuenta está desactivada. Póngase en contacto con el administrador.
login-unverified = Confirme primero su correo electrónico: abra el enlace que le enviamos.
login-locked = Demasiados intentos fallidos de inicio de sesión. Inténtelo de nuevo dentro de { $wait }.

second-title = Segundo paso
second-heading = Un paso más
second-code-totp = Código de su aplicación de autenticación
second-code-email = Código que enviamos a su correo electrónico
second-lost-device = ¿Ha perdido su dispositivo? Use un código de recuperación
second-recovery-code = Código de recuperación
second-enter-code = Introduzca el código.
second-expired = Este inicio de sesión ha caducado o recibió demasiados códigos incorrectos. Inicie sesión de nuevo.
second-wrong-code = El código no es correcto.
second-wrong-code-left = El código no es correcto. { $left ->
    [one] Queda { $left } intento.
   *[other] Quedan { $left } intentos.
}

## Registro

signup-title = Crear una cuenta
signup-password-help = Al menos { $min } caracteres.
signup-roles = Soy
signup-submit = Crear cuenta
signup-have-account = Ya tengo una cuenta
signup-closed = El registro está cerrado
signup-closed-text = Las cuentas nuevas las crea un administrador.
signup-sent-confirm-first = Le enviamos un enlace a su correo electrónico. Ábralo para confirmar la dirección y después inicie sesión.
signup-sent = Le enviamos un enlace a su correo electrónico para confirmarlo. Ya puede iniciar sesión.
signup-continue = Continuar e iniciar sesión

## Consentimiento y dispositivos

consent-title = Permitir el acceso
consent-heading = ¿Permitir que { $client } acceda a su cuenta?

device-title = Conectar un dispositivo
device-intro = Introduzca el código que muestra su dispositivo. Verá qué aplicación solicita acceso antes de que se permita nada.
device-code-malformed = Un código tiene 8 letras, como BCDF-GHJK. Compruebe el código en su dispositivo.
device-code-invalid = Este código no es válido o ha caducado. Compruebe el código en su dispositivo o vuelva a empezar allí.
device-consent-title = Permitir un dispositivo
device-consent-heading = ¿Permitir { $client } en su dispositivo?
device-consent-warning = Permítalo solo si acaba de empezar a iniciar sesión usted mismo en un dispositivo propio y este muestra el código { $code }. Si alguien le envió este código o enlace, elija Denegar.
device-connected = Dispositivo conectado
device-connected-text = { $client } ya tiene acceso en su dispositivo. Puede cerrar esta página y volver a su dispositivo.
device-denied = Acceso denegado
device-denied-text = { $client } no ha recibido acceso. Puede cerrar esta página.

## Cerrar sesión

logout-heading = ¿Cerrar sesión?
logout-client-asks = { $client } solicita cerrar su sesión.
logout-question = ¿Quiere cerrar la sesión?
logout-done-title = Sesión cerrada
logout-done-heading = Ha cerrado la sesión
logout-done-close = Puede cerrar esta ventana.
logout-done-text = Ha cerrado la sesión.
logout-sign-in-again = Iniciar sesión de nuevo
logout-the-application = la aplicación
logout-continue-to = Continuar a { $client } ({ $host })

## Restablecer la contraseña y confirmar el correo

password-forgot-title = ¿Ha olvidado su contraseña?
password-forgot-intro = Introduzca su correo electrónico y le enviaremos un enlace para elegir una nueva contraseña.
password-sent = Si existe una cuenta con esta dirección, le enviamos un enlace para elegir una nueva contraseña. El enlace funciona una vez y caduca pronto.
password-changed = Contraseña cambiada
password-changed-text = Su contraseña se ha cambiado y se han cerrado todas las sesiones.
password-new-link = Pedir un nuevo enlace

reset-title = Elija una nueva contraseña
reset-password-help = Al menos { $min } caracteres. Se cerrarán todas sus sesiones.
reset-submit = Guardar contraseña

verify-title = Confirme su correo electrónico
verify-intro = Confirme solo si usted mismo creó una cuenta con esta dirección. Si no, ignore esta página y el correo que le trajo aquí: sin este botón no ocurre nada.
verify-submit = Confirmar mi dirección
verify-confirmed = Correo electrónico confirmado
verify-done = Gracias: su correo electrónico está confirmado.
verify-new-link = Enviar un nuevo enlace
verify-resend-intro = Introduzca su dirección y le enviaremos un nuevo enlace de confirmación.
verify-resent = Si una cuenta con esta dirección espera confirmación, le enviamos un nuevo enlace.

## Cuenta

account-title = Su cuenta
account-signed-in-as = Sesión iniciada como { $email }.
account-signed-in-as-unconfirmed = Sesión iniciada como { $email } (aún sin confirmar).
account-roles = Roles:
account-profile = Perfil
account-given-name = Nombre de pila
account-family-name = Apellidos
account-language = Idioma de estas páginas y de nuestros correos
account-language-browser = El que pida mi navegador
account-phone = Número de teléfono (para códigos por SMS)
account-profile-code = Código (solo para cambiar el número de teléfono; vea «Correo electrónico» más abajo)
account-save-profile = Guardar perfil
account-current-password = Contraseña actual
account-change-password = Cambiar contraseña
account-totp = Aplicación de autenticación
account-totp-on = Hay una aplicación de autenticación configurada. { $left ->
    [one] Queda { $left } código de recuperación.
   *[other] Quedan { $left } códigos de recuperación.
}
account-totp-disable-code = Código de la aplicación (o un código enviado por correo)
account-totp-turn-off = Desactivar
account-new-recovery-codes = Nuevos códigos de recuperación
account-totp-offer = Añada un segundo paso a su inicio de sesión con una aplicación de autenticación.
account-code-help = Para cambiar su dirección o su número de teléfono, o desactivar la aplicación de autenticación, necesita un código que enviamos a su dirección actual.
account-send-code = Enviarme un código por correo
account-new-email = Nuevo correo electrónico
account-change-email = Cambiar dirección
account-sessions = Sesiones
account-this-browser = (este navegador)
account-notice-saved = Su perfil se ha guardado.
account-notice-password = Su contraseña se ha cambiado. Se han cerrado sus otras sesiones.
account-notice-code-sent = Le enviamos un código a su correo electrónico.
account-notice-email = Su dirección se ha cambiado. Abra el enlace que enviamos a la nueva dirección para confirmarla.
account-notice-totp-on = La aplicación de autenticación está configurada.
account-notice-totp-off = La aplicación de autenticación está desactivada.
account-notice-session-ended = Esa sesión se ha cerrado.
account-totp-wrong-code = El código no es correcto. Compruebe la hora de su dispositivo e inténtelo de nuevo.
account-no-such-session = Esa sesión no existe.

totp-title = Configurar una aplicación de autenticación
totp-scan = Escanee este código con su aplicación de autenticación:
totp-qr-alt = Código QR del secreto de autenticación
totp-by-hand = O introduzca esta clave a mano:
totp-code = Código que muestra la aplicación
totp-confirm = Confirmar

recovery-title = Códigos de recuperación
recovery-heading = Sus códigos de recuperación
recovery-intro = Guarde estos códigos en un lugar seguro. Cada uno le permite iniciar sesión una vez si pierde su aplicación de autenticación. Solo se muestran ahora.
recovery-saved = Ya los he guardado

## Datos rechazados

refused-invalid-email = `{ $email }` no es un correo electrónico válido.
refused-email-taken = Ya existe una cuenta con este correo electrónico.
refused-password-too-short = La contraseña debe tener al menos { $min } caracteres.
refused-password-too-long = La contraseña debe tener como máximo { $max } caracteres.
refused-password-common = Esta contraseña es una de las más comunes; elija otra.
refused-password-is-email = La contraseña no puede ser su correo electrónico.
refused-code-replayed = Este código ya se usó; espere al siguiente.
refused-code-missing = No hay ningún código válido; pida uno nuevo.
refused-totp-already-enrolled = Ya hay una aplicación de autenticación configurada; desactívela primero.
refused-wrong-password = La contraseña actual no es correcta.
refused-reauthenticate = Introduzca su contraseña actual: inició sesión hace más de { $minutes } minutos.
refused-step-up = Para cambiar el número de teléfono necesita un código que enviamos a su correo electrónico; pídalo primero.

## Llaves de acceso

passkeys-title = Llaves de acceso
passkeys-intro = Inicie sesión con el bloqueo de pantalla de su dispositivo o una llave de seguridad en lugar de su contraseña, sin escribir su dirección de correo. Si pierde una llave de acceso, inicie sesión con su contraseña (y el segundo paso) y elimínela aquí.
passkeys-none = Todavía no tiene llaves de acceso.
passkeys-added-on = añadida el { $when }
passkeys-last-used = usada por última vez el { $when }
passkeys-synced = (puede sincronizarse con sus otros dispositivos)
passkeys-new-name = Nombre nuevo
passkeys-rename = Cambiar nombre
passkeys-remove = Eliminar
passkeys-name = Nombre de la nueva llave de acceso
passkeys-default-name = Llave de acceso
passkeys-add = Añadir una llave de acceso
passkeys-account-needs-javascript = Añadir una llave de acceso requiere JavaScript. Todo lo demás de esta página funciona sin él.
passkeys-login-or = O inicie sesión sin su dirección de correo:
passkeys-login-button = Iniciar sesión con una llave de acceso
passkeys-login-needs-javascript = Iniciar sesión con una llave de acceso requiere JavaScript; su dirección de correo y su contraseña funcionan sin él.
passkeys-second-or = O, si añadió una llave de acceso a su cuenta:
passkeys-second-button = Usar una llave de acceso
passkeys-second-needs-javascript = Usar aquí una llave de acceso requiere JavaScript; un código funciona sin él.
passkeys-cancelled = La solicitud de la llave de acceso se canceló o caducó.
passkeys-server-refused = El servidor rechazó la solicitud. Vuelva a cargar la página e inténtelo de nuevo.
passkeys-not-enabled = Las llaves de acceso no están activadas en este servidor.
passkeys-sign-in-first = Inicie sesión primero.
passkeys-error-expired = Esta solicitud de llave de acceso caducó o se inició en otro lugar. Inténtelo de nuevo.
passkeys-error-refused = La llave de acceso no fue aceptada.
passkeys-error-cloned = La llave de acceso fue rechazada: su contador de firmas retrocedió, así que el autenticador puede haber sido copiado.
passkeys-error-duplicate = Esta llave de acceso ya está registrada.
passkeys-error-invalid-name = Dé a la llave de acceso un nombre de 1 a { $max } caracteres.
passkeys-error-not-found = Esa llave de acceso no existe.
passkeys-error-last-method = Esta llave de acceso es la única forma de iniciar sesión en su cuenta. Establezca una contraseña o vincule un proveedor de inicio de sesión antes de eliminarla.
account-notice-passkey-added = La llave de acceso se ha añadido.
account-notice-passkey-renamed = La llave de acceso se ha renombrado.
account-notice-passkey-removed = La llave de acceso se ha eliminado.
error-not-found = No encontrado

## Proveedores de inicio de sesión

upstream-providers = Proveedores de inicio de sesión
upstream-linked-as = vinculado ({ $account })
upstream-linked = vinculado
upstream-not-linked = no vinculado
upstream-unlink = Desvincular
upstream-link = Vincular
upstream-or-sign-in-with = O inicie sesión con
upstream-link-title = Vincular cuentas
upstream-the-provider = el proveedor
upstream-link-exists = Aquí existe una cuenta con la dirección de correo { $email }.
upstream-link-exists-yours = Aquí existe una cuenta con su dirección de correo.
upstream-link-prove = Para iniciar sesión en ella con { $provider } a partir de ahora, demuestre que es suya con su contraseña.
upstream-link-prove-totp = Para iniciar sesión en ella con { $provider } a partir de ahora, demuestre que es suya con su contraseña y su aplicación de autenticación.
upstream-local-password = Contraseña de su cuenta aquí
upstream-link-and-sign-in = Vincular e iniciar sesión
upstream-cancel = Cancelar
upstream-sign-in-failed = No se pudo iniciar sesión
upstream-sign-in-expired = Inicio de sesión caducado
upstream-sign-in-expired-text = Este inicio de sesión caducó, ya se usó, tuvo demasiados intentos erróneos o se inició en otro navegador. Inicie sesión de nuevo.
upstream-wrong-password = La contraseña es incorrecta.
upstream-not-unlinked = No desvinculado
upstream-error-unknown-provider = No hay ningún proveedor de inicio de sesión con este nombre.
upstream-error-refused = El proveedor rechazó el inicio de sesión ({ $code }).
upstream-error-state = Este inicio de sesión caducó o se inició en otro navegador. Empiece de nuevo.
upstream-error-unavailable = No se pudo contactar con el proveedor o respondió algo inutilizable.
upstream-error-id-token = La respuesta del proveedor no superó las comprobaciones.
upstream-error-no-email = El proveedor no nos indicó una dirección de correo, que una cuenta necesita.
upstream-error-unverified-email = El proveedor no confirma su dirección de correo, así que no puede iniciar su sesión aquí. Si tiene una cuenta aquí, inicie sesión con su contraseña y vincule el proveedor desde la página de su cuenta.
upstream-error-sign-up-closed = No hay ninguna cuenta para esta identidad, y aquí no se pueden crear cuentas nuevas.
upstream-error-disabled = Esta cuenta está desactivada. Póngase en contacto con el administrador.
upstream-error-linked-elsewhere = Esta identidad ya está vinculada a otra cuenta.
upstream-error-not-linked = Este proveedor no está vinculado a su cuenta.
upstream-error-last-method = Esta es la única forma de iniciar sesión en su cuenta. Establezca una contraseña antes de desvincularla.
account-notice-upstream-linked = El proveedor de inicio de sesión está vinculado a su cuenta.
account-notice-upstream-unlinked = El proveedor de inicio de sesión está desvinculado de su cuenta.

## Aplicaciones con acceso

apps-title = Aplicaciones con acceso
apps-link = Ver y quitar las aplicaciones que pueden usar su cuenta
apps-intro = Estas aplicaciones pueden usar su cuenta. Quitar el acceso a una aplicación cierra su sesión: sus tokens dejan de funcionar y tendrá que volver a pedírselo.
apps-none = Ninguna aplicación tiene acceso a su cuenta.
apps-self-registered = se registró a sí misma en este servidor: su nombre es su propia declaración
apps-can = Puede:
apps-granted = Acceso concedido el { $when }
apps-last-used = usada por última vez el { $when }
apps-remove = Quitar el acceso
apps-removed = Se ha quitado el acceso de la aplicación. Sus tokens ya no funcionan.
apps-no-access = Esa aplicación no tiene acceso a su cuenta.
apps-back = Volver a su cuenta
