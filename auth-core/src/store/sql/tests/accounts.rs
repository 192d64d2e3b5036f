//! What a user's account keeps outside the user row: single-use e-mail tokens, one-time codes,
//! TOTP steps and recovery codes ([`EmailTokenStore`], [`MfaStore`]), and the mail outbox's
//! leases ([`MailStore`]).

use super::{TestStore, hash, user};
use crate::store::sql::Backend;
use crate::store::{
    CodeCheck, EmailTokenPurpose, EmailTokenStore, MailStore, MfaStore, StoreError,
};
use auth_testkit_macros::both_backends;

#[both_backends]
async fn an_email_token_is_used_once_and_only_while_live(backend: Backend) {
    let store = TestStore::new(backend).await;
    let ann = user(&store, "ann@example.com").await.id;
    let reset = EmailTokenPurpose::ResetPassword;
    for (byte, expires_at) in [(1, 100), (2, 100), (3, 50)] {
        store
            .insert_email_token(&hash(byte), &ann, reset, "ann@example.com", 1, expires_at)
            .await
            .unwrap();
    }
    let verify = EmailTokenPurpose::VerifyEmail;
    assert!(
        store
            .consume_email_token(&hash(1), verify, 10)
            .await
            .unwrap()
            .is_none(),
        "another purpose"
    );
    let peeked = store.email_token(&hash(1), reset, 10).await.unwrap();
    assert_eq!(peeked, Some((ann.clone(), "ann@example.com".to_owned())));
    let used = store
        .consume_email_token(&hash(1), reset, 10)
        .await
        .unwrap();
    assert_eq!(used, peeked);
    assert!(
        store
            .consume_email_token(&hash(1), reset, 11)
            .await
            .unwrap()
            .is_none(),
        "used"
    );
    assert!(
        store
            .consume_email_token(&hash(3), reset, 60)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    assert_eq!(store.retire_email_tokens(&ann, reset, 12).await.unwrap(), 2);
    assert!(
        store
            .consume_email_token(&hash(2), reset, 13)
            .await
            .unwrap()
            .is_none(),
        "retired"
    );
}

#[both_backends]
async fn a_one_time_code_is_accepted_once_within_its_attempts(backend: Backend) {
    let store = TestStore::new(backend).await;
    let ann = user(&store, "ann@example.com").await.id;
    store
        .put_one_time_code(&ann, "login", &hash(1), 1, 100)
        .await
        .unwrap();
    let wrong = store
        .check_one_time_code(&ann, "login", &hash(2), 10, 3)
        .await
        .unwrap();
    assert_eq!(wrong, CodeCheck::Wrong { attempts_left: 2 });
    let right = store
        .check_one_time_code(&ann, "login", &hash(1), 10, 3)
        .await
        .unwrap();
    assert_eq!(right, CodeCheck::Valid);
    let again = store
        .check_one_time_code(&ann, "login", &hash(1), 10, 3)
        .await
        .unwrap();
    assert_eq!(
        again,
        CodeCheck::Missing,
        "a code is consumed when it matches"
    );

    store
        .put_one_time_code(&ann, "login", &hash(3), 20, 100)
        .await
        .unwrap();
    for left in [1, 0] {
        let wrong = store
            .check_one_time_code(&ann, "login", &hash(4), 21, 2)
            .await
            .unwrap();
        assert_eq!(
            wrong,
            CodeCheck::Wrong {
                attempts_left: left
            }
        );
    }
    let late = store
        .check_one_time_code(&ann, "login", &hash(3), 21, 2)
        .await
        .unwrap();
    assert_eq!(
        late,
        CodeCheck::Missing,
        "out of attempts, even for the right code"
    );
}

#[both_backends]
async fn totp_steps_and_recovery_codes_are_accepted_once(backend: Backend) {
    let store = TestStore::new(backend).await;
    let ann = user(&store, "ann@example.com").await.id;
    store.put_pending_totp(&ann, b"sealed", 1).await.unwrap();
    assert!(store.confirm_totp(&ann, 100, 2).await.unwrap());
    let pending_again = store.put_pending_totp(&ann, b"other", 3).await;
    assert!(
        matches!(pending_again, Err(StoreError::Conflict(_))),
        "{pending_again:?}"
    );
    assert!(
        !store.use_totp_step(&ann, 100).await.unwrap(),
        "the confirming step"
    );
    assert!(store.use_totp_step(&ann, 101).await.unwrap());
    assert!(!store.use_totp_step(&ann, 101).await.unwrap(), "a replay");

    store
        .replace_recovery_codes(&ann, &[hash(1), hash(2)], 4)
        .await
        .unwrap();
    assert!(store.use_recovery_code(&ann, &hash(1), 5).await.unwrap());
    assert!(!store.use_recovery_code(&ann, &hash(1), 6).await.unwrap());
    assert_eq!(store.recovery_codes_left(&ann).await.unwrap(), 1);
}

#[both_backends]
async fn a_claimed_mail_is_leased_until_sent_or_failed(backend: Backend) {
    let store = TestStore::new(backend).await;
    store.enqueue_mail("m1", b"sealed", 100).await.unwrap();
    assert!(
        store.claim_due_mail(99, 60, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    let claimed = store.claim_due_mail(100, 60, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store.claim_due_mail(159, 60, 10).await.unwrap().is_empty(),
        "leased"
    );

    store
        .mail_failed("m1", 1, 170, "refused", None)
        .await
        .unwrap();
    assert!(
        store.claim_due_mail(169, 60, 10).await.unwrap().is_empty(),
        "backing off"
    );
    let retried = store.claim_due_mail(170, 60, 10).await.unwrap();
    assert_eq!(retried.iter().map(|m| m.attempts).collect::<Vec<_>>(), [1]);
    assert_eq!(store.pending_mail().await.unwrap(), 1);

    store.mail_sent("m1").await.unwrap();
    assert_eq!(store.pending_mail().await.unwrap(), 0);
    store.enqueue_mail("m2", b"sealed", 100).await.unwrap();
    store
        .mail_failed("m2", 60, 200, "refused", Some(100))
        .await
        .unwrap();
    assert!(
        store
            .claim_due_mail(1_000, 60, 10)
            .await
            .unwrap()
            .is_empty(),
        "given up"
    );
    assert_eq!(store.pending_mail().await.unwrap(), 0);
}
