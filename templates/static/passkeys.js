// Passkeys on the hosted pages: the browser's half of the WebAuthn ceremonies.
//
// Each ceremony is two form posts to this server (with the page's CSRF token): the first
// answers the options for navigator.credentials (binary fields in base64url), the second takes
// the authenticator's answer (binary fields in base64url again) and says where to go next.
// Pages work without this script; the passkey sections stay hidden then.
(function () {
  "use strict";

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Drops null members: the browser's dictionaries take a missing member, not null.
  function clean(value) {
    if (Array.isArray(value)) {
      return value.map(clean);
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        if (value[key] !== null && value[key] !== undefined) {
          out[key] = clean(value[key]);
        }
      });
      return out;
    }
    return value;
  }

  function field(name) {
    var input = document.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    body.set("csrf_token", field("csrf_token"));
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          if (!response.ok || !data) {
            var refused = new Error(
              (data && data.error) || pageText("refused") + " (" + response.status + ")"
            );
            refused.fromServer = true;
            throw refused;
          }
          return data;
        });
    });
  }

  function creationOptions(data) {
    var options = clean(data.publicKey);
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) {
      c.id = toBuffer(c.id);
    });
    return { publicKey: options };
  }

  function requestOptions(data) {
    var options = clean(data.publicKey);
    options.challenge = toBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (c) {
      c.id = toBuffer(c.id);
    });
    return { publicKey: options };
  }

  function registrationJson(credential) {
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toText(credential.response.attestationObject),
        clientDataJSON: toText(credential.response.clientDataJSON),
      },
      extensions: {},
    });
  }

  function assertionJson(credential) {
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toText(credential.response.authenticatorData),
        clientDataJSON: toText(credential.response.clientDataJSON),
        signature: toText(credential.response.signature),
        userHandle: toText(credential.response.userHandle),
      },
      extensions: {},
    });
  }

  // The page's own texts, in its language (data attributes of the error box).
  function pageText(name) {
    var box = document.getElementById("passkey-error");
    return (box && box.dataset[name]) || name;
  }

  function showError(error) {
    var box = document.getElementById("passkey-error");
    if (!box) {
      return;
    }
    var message = error && error.message ? error.message : String(error);
    if (error && error.name === "NotAllowedError") {
      message = pageText("cancelled");
    }
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    var box = document.getElementById("passkey-error");
    if (box) {
      box.hidden = true;
    }
  }

  function go(data) {
    window.location.assign(data.redirect);
  }

  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  // The account page: add a passkey.
  var register = document.getElementById("passkey-register");
  if (register && supported) {
    register.hidden = false;
    register.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = document.getElementById("passkey_name").value;
      var password = document.getElementById("passkey_password").value;
      post("/account/passkeys/register/options", { name: name, current_password: password })
        .then(function (data) {
          return navigator.credentials.create(creationOptions(data)).then(function (credential) {
            return post("/account/passkeys/register", {
              handle: data.handle,
              name: name,
              credential: registrationJson(credential),
            });
          });
        })
        .then(go, showError);
    });
  }

  // The login page: sign in with a discoverable passkey, from the button or (where the
  // browser offers it) from the e-mail field's autofill (conditional mediation).
  var signIn = document.getElementById("passkey-sign-in");
  if (signIn && supported) {
    signIn.hidden = false;
    var abort = null;
    var clicked = false;
    var waiting = Promise.resolve();

    var ceremony = function (conditional) {
      return post("/login/passkey/options", { request: field("request") }).then(function (data) {
        var options = requestOptions(data);
        if (conditional) {
          options.mediation = "conditional";
          options.signal = abort.signal;
        }
        return navigator.credentials.get(options).then(function (credential) {
          return post("/login/passkey", {
            handle: data.handle,
            credential: assertionJson(credential),
          });
        });
      });
    };

    // Autofill starts when the e-mail field is first focused (a request that waits for the
    // user), so a click on the button never races an autofill answer.
    var email = document.getElementById("email");
    if (email && PublicKeyCredential.isConditionalMediationAvailable) {
      email.setAttribute("autocomplete", "username webauthn");
      email.addEventListener(
        "focus",
        function () {
          waiting = PublicKeyCredential.isConditionalMediationAvailable().then(
            function (available) {
              if (!available || clicked) {
                return;
              }
              abort = new AbortController();
              var mine = abort;
              // Only the server's refusal of a passkey the user picked is worth showing.
              return ceremony(true).then(go, function (error) {
                if (!mine.signal.aborted && error && error.fromServer) {
                  showError(error);
                }
              });
            },
            function () {}
          );
        },
        { once: true }
      );
    }

    document.getElementById("sign-in-with-passkey").addEventListener("click", function () {
      // One request at a time: end the autofill request before the button's own.
      clicked = true;
      hideError();
      if (abort) {
        abort.abort();
        abort = null;
      }
      waiting
        .then(function () {
          return ceremony(false);
        })
        .then(go, showError);
    });
  }

  // The second step of a password login: a passkey instead of a code.
  var second = document.getElementById("passkey-second-factor");
  if (second && supported) {
    second.hidden = false;
    document.getElementById("use-passkey").addEventListener("click", function () {
      var challenge = field("challenge");
      post("/login/second-factor/passkey/options", { challenge: challenge })
        .then(function (data) {
          return navigator.credentials.get(requestOptions(data)).then(function (credential) {
            return post("/login/second-factor/passkey", {
              challenge: challenge,
              handle: data.handle,
              credential: assertionJson(credential),
            });
          });
        })
        .then(go, showError);
    });
  }
})();
