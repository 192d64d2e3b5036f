# Los correos, en español. $product es el nombre del servicio.

mail-footer = Recibe este mensaje por una acción en su cuenta de { $product }.
mail-hello = Hola:
mail-hello-name = Hola, { $name }:

mail-verify-subject = Confirme su correo electrónico para { $product }
mail-verify-title = Confirme su correo electrónico
mail-verify-open = Confirme su correo electrónico abriendo este enlace en los próximos { $minutes } minutos:
mail-verify-confirm = Confirmar mi correo electrónico
mail-verify-ignore = Si no creó ninguna cuenta, ignore este mensaje.

mail-existing-subject = Su cuenta de { $product }
mail-existing-title = Su cuenta
mail-existing-body = Alguien intentó crear una cuenta con este correo electrónico, que ya tiene una.
mail-existing-sign-in = Si fue usted, inicie sesión
mail-existing-reset = ¿Ha olvidado su contraseña? Restablézcala aquí
mail-existing-not-you = Si no fue usted, ignore este mensaje; no ha cambiado nada.

mail-reset-subject = Restablezca su contraseña de { $product }
mail-reset-title = Restablezca su contraseña
mail-reset-open = Abra este enlace en los próximos { $minutes } minutos para elegir una nueva contraseña:
mail-reset-choose = Elegir una nueva contraseña
mail-reset-ignore = El enlace funciona una vez. Si no lo ha pedido, ignore este mensaje; su contraseña sigue igual.

mail-password-changed-subject = Se ha cambiado su contraseña de { $product }
mail-password-changed-title = Se ha cambiado su contraseña
mail-password-changed-body = La contraseña de su cuenta se acaba de cambiar y se han cerrado sus otras sesiones.
mail-password-changed-not-you = Si no fue usted, restablezca su contraseña de inmediato:
mail-reset-link = Restablecer mi contraseña

mail-email-changed-subject = Se ha cambiado su correo electrónico de { $product }
mail-email-changed-title = Se ha cambiado su correo electrónico
mail-email-changed-body = El correo electrónico de su cuenta se acaba de cambiar, y los mensajes de la cuenta van ahora a la nueva dirección. Este mensaje va a la antigua.
mail-email-changed-not-you = Si no fue usted, póngase en contacto de inmediato con el operador de { $product }: alguien podría haberse apoderado de su cuenta.

mail-code-subject = Su código de { $product }: { $code }
mail-code-title = Su código
mail-code-login = Su código para iniciar sesión es:
mail-code-step-up = Su código para confirmar un cambio en su cuenta es:
mail-code-valid = Es válido durante { $minutes } minutos. No se lo dé nunca a nadie que se lo pida.
