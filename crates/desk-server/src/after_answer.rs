//! Work a request starts after it has answered, so that the answer's timing cannot tell what the
//! work found (a public recovery request looks the account up and mails it only afterwards).
//! The service counts that work, and a test waits for it to finish instead of polling for its
//! effects.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct AfterAnswer {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts one piece of work out when it ends, however it ends (a panic included).
struct Running(Arc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl AfterAnswer {
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.inner.running.fetch_add(1, Ordering::SeqCst);
        let running = Running(self.inner.clone());
        tokio::spawn(async move {
            let _running = running;
            work.await;
        });
    }

    /// Returns once no such work is running.
    pub async fn settled(&self) {
        loop {
            // Registered before the count is read, so an end between the two is not missed.
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.inner.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settled_waits_for_every_piece_of_work_even_one_that_panics() {
        let after = AfterAnswer::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        after.spawn(async move {
            rx.await.ok();
            d.fetch_add(1, Ordering::SeqCst);
        });
        after.spawn(async { panic!("a failing piece of work still counts out") });
        let waiting = tokio::spawn({
            let after = after.clone();
            async move { after.settled().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "work is still running");
        tx.send(()).unwrap();
        waiting.await.unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
