//! Mail delivery: durable outbox, SMTP outages, sealed messages.

use crate::support::{Backend, SmtpSink, both_backends, browser, smtp_to, spawn_app_with};

#[both_backends]
async fn mail_queued_during_an_smtp_outage_is_delivered_when_it_returns(backend: Backend) {
    let port = SmtpSink::reserve_port();
    let app = spawn_app_with(backend, |c| smtp_to(c, port)).await;
    app.user("ann@example.com").await;
    // The request succeeds although no SMTP server listens: the mail waits in the outbox.
    let response = app
        .submit(
            &browser(),
            "/forgot-password",
            "/forgot-password",
            &[("email", "ann@example.com")],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.wait_for_pending_mail(1).await;
    // Let the worker fail once against the closed port.
    let mut failed = false;
    for _ in 0..50 {
        if app
            .outbox()
            .await
            .iter()
            .any(|(attempts, _)| *attempts >= 1)
        {
            failed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(failed, "the first delivery attempt failed and was counted");
    assert_eq!(
        app.provider.store().pending_mail().await.unwrap(),
        1,
        "nothing is lost"
    );

    let sink = SmtpSink::start_on(port);
    // The retry is due after the backoff; move the server's clock past it.
    app.clock.advance(time::Duration::seconds(120));
    let mail = sink.wait_for("ann@example.com", "Reset").await;
    assert!(mail.text.contains("/reset-password?token=pr_"));
    for _ in 0..50 {
        if app.provider.store().pending_mail().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.provider.store().pending_mail().await.unwrap(), 0);
    assert_eq!(sink.received().len(), 1, "delivered exactly once");
}

#[both_backends]
async fn queued_mail_is_sealed_so_links_never_sit_in_the_database_in_clear(backend: Backend) {
    let port = SmtpSink::reserve_port();
    let app = spawn_app_with(backend, |c| smtp_to(c, port)).await;
    app.user("ann@example.com").await;
    app.submit(
        &browser(),
        "/forgot-password",
        "/forgot-password",
        &[("email", "ann@example.com")],
    )
    .await;
    app.wait_for_pending_mail(1).await;
    // The clock moves past the retry of the first attempt, so that attempt must have failed
    // (and scheduled its retry) first: failing after the move, it would retry after the
    // moved clock, which never comes.
    for _ in 0..150 {
        if app.outbox().await[0].0 >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let queued = app.outbox().await;
    assert_eq!(queued.len(), 1);
    assert!(
        queued[0].0 >= 1,
        "the first attempt failed against the closed port"
    );
    let sealed = String::from_utf8_lossy(&queued[0].1).into_owned();
    assert!(
        !sealed.contains("pr_") && !sealed.contains("ann@example.com") && !sealed.contains("Reset")
    );
    let sink = SmtpSink::start_on(port);
    app.clock.advance(time::Duration::seconds(120));
    let mail = sink.wait_for("ann@example.com", "Reset").await;
    let token = mail
        .link(&app.url("/reset-password?token="))
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(!sealed.contains(&token));
}
