//! The key watcher as a whole: its hub fed views directly, its streams, resumes and slow
//! subscribers.

use std::sync::Arc;

use futures::StreamExt;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::hub::WatchHub;
use super::settings::WatchSettings;
use crate::error::Error;
use crate::error::ErrorReason;
use crate::watch::events::tests::view;
use crate::watch::stream::{WatchEnd, WatchItem, watch};
use onramp_core::directory::Directory;
use onramp_core::keys::KeyView;
use onramp_core::keys::{KeyState, UpstreamKey};
use onramp_core::onramps::Port;
use onramp_core::service_keys::{KeyFilter, KeyUpstream, NewKey, ServiceKeys};
use onramp_core::testing::FakeInventory;
use onramp_store::Store;

/// Megaport is never reached in these tests: the hub is fed views directly.
struct Unreachable;

#[tonic::async_trait]
impl KeyUpstream for Unreachable {
    async fn port(&self, _: &str) -> Result<Port, Error> {
        Err(Error::internal("unreachable"))
    }
    async fn create_key(&self, _: &NewKey) -> Result<UpstreamKey, Error> {
        Err(Error::internal("unreachable"))
    }
    async fn keys(&self, _: Option<&str>) -> Result<onramp_core::Listed<Vec<UpstreamKey>>, Error> {
        Err(Error::internal("unreachable"))
    }
    async fn key(&self, _: &str) -> Result<UpstreamKey, Error> {
        Err(Error::internal("unreachable"))
    }
    async fn update_key(&self, _: &UpstreamKey) -> Result<UpstreamKey, Error> {
        Err(Error::internal("unreachable"))
    }
}

async fn hub(buffer: usize) -> WatchHub {
    let store = Store::in_memory().await.expect("store");
    let directory = Directory::new(
        Arc::new(FakeInventory::new(Vec::new())),
        Arc::new(store.clone()),
    );
    let keys = Arc::new(ServiceKeys::new(
        Arc::new(Unreachable),
        directory,
        Arc::new(store.clone()),
        onramp_core::locks::Locks::new(Arc::new(store.clone())),
    ));
    let settings = WatchSettings {
        subscriber_buffer: buffer,
        progress_interval_millis: 60_000,
        ..WatchSettings::default()
    };
    WatchHub::open(keys, store, settings).await.expect("hub")
}

/// Adds one key per call, so each call is one revision.
async fn add_key(hub: &WatchHub, index: usize) {
    let previous = hub.read().views.clone();
    let mut current = previous.clone();
    let key = view(&format!("key-{index:03}"), KeyState::Active);
    current.insert(key.key.clone(), key);
    hub.apply(previous, current, OffsetDateTime::now_utc())
        .await
        .expect("apply");
}

#[tokio::test]
async fn a_stream_ends_once_the_server_shuts_down() {
    let hub = hub(64).await;
    let signal = CancellationToken::new();
    let fire = signal.clone();
    let mut stream = Box::pin(
        watch(hub.clone(), KeyFilter::default(), "", signal)
            .await
            .expect("watch"),
    );
    assert!(matches!(
        stream.next().await,
        Some(Ok(WatchItem::Snapshot { .. }))
    ));
    add_key(&hub, 0).await;
    assert!(matches!(
        stream.next().await,
        Some(Ok(WatchItem::Changes(_)))
    ));
    fire.cancel();
    assert_eq!(stream.next().await, Some(Err(WatchEnd::ShuttingDown)));
    assert_eq!(stream.next().await, None);
}

#[tokio::test]
async fn streams_that_take_a_whole_batch_share_it_and_a_filtered_one_gets_its_part() {
    let hub = hub(64).await;
    let open = |filter: KeyFilter| {
        let hub = hub.clone();
        async move {
            let mut stream = Box::pin(
                watch(hub, filter, "", CancellationToken::new())
                    .await
                    .expect("watch"),
            );
            assert!(matches!(
                stream.next().await,
                Some(Ok(WatchItem::Snapshot { .. }))
            ));
            stream
        }
    };
    let mut first = open(KeyFilter::default()).await;
    let mut second = open(KeyFilter::default()).await;
    let mut acme_only = open(KeyFilter {
        customer_ref: Some("acme".to_owned()),
        ..KeyFilter::default()
    })
    .await;
    // One revision with two keys, one of them Acme's.
    let previous = hub.read().views.clone();
    let mut current = previous.clone();
    let mut acme = view("key-acme", KeyState::Active);
    acme.customer_ref = "acme".to_owned();
    let other = view("key-other", KeyState::Active);
    current.insert(acme.key.clone(), acme);
    current.insert(other.key.clone(), other);
    hub.apply(previous, current, OffsetDateTime::now_utc())
        .await
        .expect("apply");

    let batch = |item: Option<Result<WatchItem, WatchEnd>>| match item {
        Some(Ok(WatchItem::Changes(batch))) => batch,
        other => panic!("expected changes, got {other:?}"),
    };
    let (a, b) = (batch(first.next().await), batch(second.next().await));
    assert!(Arc::ptr_eq(&a, &b), "one batch, so one encoding, for both");
    assert_eq!(a.events.len(), 2);
    let part = batch(acme_only.next().await);
    assert!(!Arc::ptr_eq(&a, &part));
    assert_eq!(part.revision, a.revision);
    let keys: Vec<&str> = part.events.iter().map(|e| e.key.key.as_str()).collect();
    assert_eq!(keys, ["key-acme"]);
}

#[tokio::test]
async fn reads_wait_for_the_first_poll_then_see_writes_before_the_poll_does() {
    let hub = hub(64).await;
    for index in 0..3 {
        add_key(&hub, index).await;
    }
    let all = KeyFilter::default();
    let key_of = |view: &KeyView| view.key.clone();
    assert_eq!(
        hub.key("key-000", KeyView::clone),
        None,
        "not polled yet: ask Megaport"
    );
    assert!(hub.page(&all, None, 10, key_of).is_none());

    hub.record_success(OffsetDateTime::now_utc());
    let (first, token) = hub.page(&all, None, 2, key_of).expect("polled");
    assert_eq!(
        first,
        ["key-000", "key-001"],
        "same create time, so by key; a third follows"
    );
    let after = crate::paging::decode_cursor(&token, &crate::watch::key_filter_spelling(&all))
        .expect("a token of this filter");
    assert_eq!(
        hub.page(&all, after.as_ref(), 2, key_of),
        Some((vec!["key-002".to_owned()], String::new()))
    );

    let written_before = hub.inner.recent.position();
    let mut renamed = view("key-001", KeyState::Inactive);
    renamed.description = "renamed".to_owned();
    let mut newest = view("key-new", KeyState::Active);
    newest.create_time = Some(OffsetDateTime::now_utc());
    hub.wrote(&[renamed.clone(), newest]);
    assert_eq!(
        hub.key("key-001", KeyView::clone),
        Some(renamed.clone()),
        "read your write"
    );
    assert_eq!(
        hub.page(&all, None, 10, key_of),
        Some((
            vec![
                "key-new".to_owned(),
                "key-000".to_owned(),
                "key-001".to_owned(),
                "key-002".to_owned()
            ],
            String::new()
        )),
        "the written key joins the listing in its place"
    );
    let inactive = KeyFilter {
        state: Some(KeyState::Inactive),
        ..KeyFilter::default()
    };
    assert_eq!(
        hub.page(&inactive, None, 10, key_of),
        Some((vec!["key-001".to_owned()], String::new())),
        "filters see the written state"
    );

    // A poll that began after the writes settles them; the hub's own views answer again.
    hub.inner.recent.settle(written_before + 2);
    assert_eq!(
        hub.key("key-001", KeyView::clone).map(|v| v.state),
        Some(KeyState::Active)
    );
    assert_eq!(hub.key("key-new", KeyView::clone), None);
}

#[tokio::test]
async fn a_slow_subscriber_is_closed_with_its_position_and_never_slows_the_others() {
    let hub = hub(4).await;
    let shutdown = CancellationToken::new();
    let mut fast = Box::pin(
        watch(hub.clone(), KeyFilter::default(), "", shutdown.clone())
            .await
            .expect("fast"),
    );
    let mut slow = Box::pin(
        watch(hub.clone(), KeyFilter::default(), "", shutdown)
            .await
            .expect("slow"),
    );
    let first = |item: Option<Result<WatchItem, WatchEnd>>| match item {
        Some(Ok(WatchItem::Snapshot { revision, .. })) => revision,
        other => panic!("expected a snapshot, got {other:?}"),
    };
    assert_eq!(first(fast.next().await), 0);
    assert_eq!(first(slow.next().await), 0);

    let mut fast_revisions = Vec::new();
    for index in 0..10 {
        add_key(&hub, index).await;
        match fast.next().await {
            Some(Ok(WatchItem::Changes(batch))) => {
                assert_eq!(batch.events.len(), 1);
                fast_revisions.push(batch.revision);
            }
            other => panic!("fast subscriber got {other:?}"),
        }
    }
    assert_eq!(fast_revisions, (1..=10).collect::<Vec<i64>>());
    assert_eq!(
        slow.next().await,
        Some(Err(WatchEnd::TooSlow { revision: 0 })),
        "10 batches overflow a buffer of 4; the subscriber resumes from revision 0"
    );
    assert_eq!(slow.next().await, None, "the stream ends after the error");
}

#[tokio::test]
async fn resuming_replays_exactly_what_followed_and_old_tokens_resync() {
    let hub = hub(64).await;
    for index in 0..3 {
        add_key(&hub, index).await;
    }
    let token = revision_fanout::token::encode(hub.instance_id(), 1);
    let mut resumed = Box::pin(
        watch(
            hub.clone(),
            KeyFilter::default(),
            &token,
            CancellationToken::new(),
        )
        .await
        .expect("resume"),
    );
    let mut replayed = Vec::new();
    for _ in 0..2 {
        match resumed.next().await {
            Some(Ok(WatchItem::Changes(batch))) => {
                replayed.push((batch.revision, batch.events[0].key.key.clone()));
            }
            other => panic!("expected a replayed batch, got {other:?}"),
        }
    }
    assert_eq!(
        replayed,
        [(2, "key-001".to_owned()), (3, "key-002".to_owned())]
    );
    assert!(matches!(
        resumed.next().await,
        Some(Ok(WatchItem::Progress { revision: 3, .. }))
    ));

    let other_history = watch(
        hub.clone(),
        KeyFilter::default(),
        &revision_fanout::token::encode("another-database", 2),
        CancellationToken::new(),
    )
    .await
    .expect("stream");
    let mut other_history = Box::pin(other_history);
    assert!(matches!(
        other_history.next().await,
        Some(Ok(WatchItem::Snapshot {
            resync: Some(crate::watch::Resync::TokenUnknown),
            ..
        }))
    ));

    let garbage = watch(
        hub.clone(),
        KeyFilter::default(),
        "nope",
        CancellationToken::new(),
    )
    .await;
    assert!(
        matches!(&garbage, Err(error) if error.reason() == ErrorReason::ResumeTokenInvalid),
        "a malformed token is refused"
    );
}

#[tokio::test]
async fn paging_through_a_thousand_keys_while_two_hundred_are_added_lists_each_once() {
    let hub = hub(64).await;
    let base = OffsetDateTime::now_utc() - time::Duration::hours(1);
    let previous = hub.read().views.clone();
    let mut current = previous.clone();
    for index in 0..1_000_i64 {
        let mut key = view(&format!("key-{index:04}"), KeyState::Active);
        // Four keys to a millisecond: the cursor's tie-break by key counts.
        key.create_time = Some(base + time::Duration::milliseconds(index / 4));
        current.insert(key.key.clone(), key);
    }
    let existing: std::collections::BTreeSet<String> = current.keys().cloned().collect();
    hub.apply(previous, current, OffsetDateTime::now_utc())
        .await
        .expect("apply");
    hub.record_success(OffsetDateTime::now_utc());

    let all = KeyFilter::default();
    let spelling = crate::watch::key_filter_spelling(&all);
    let mut seen = Vec::new();
    let mut token = String::new();
    for page in 0.. {
        let after = crate::paging::decode_cursor(&token, &spelling).expect("token");
        let (keys, next) = hub
            .page(&all, after.as_ref(), 50, |view| view.key.clone())
            .expect("polled");
        seen.extend(keys);
        // Four newer keys are written between pages: they go to the front of the listing.
        let newer: Vec<KeyView> = (0..4)
            .map(|n| {
                let mut key = view(&format!("new-{page:03}-{n}"), KeyState::Active);
                key.create_time = Some(OffsetDateTime::now_utc());
                key
            })
            .collect();
        if page < 50 {
            hub.wrote(&newer);
        }
        if next.is_empty() {
            break;
        }
        token = next;
    }
    let first_seen: Vec<&String> = seen.iter().filter(|key| existing.contains(*key)).collect();
    let distinct: std::collections::BTreeSet<&String> = first_seen.iter().copied().collect();
    assert_eq!(first_seen.len(), distinct.len(), "no key twice");
    assert_eq!(
        distinct.len(),
        1_000,
        "every key that existed at the first page"
    );
}
