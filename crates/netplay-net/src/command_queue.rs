//! A small bounded queue for commands to one relay pair or direction:
//! one sender, one receiver, nothing allocated until a command is queued.
//!
//! A tokio channel allocates its first block of 32 slots when it is made;
//! a relay pair has three queues, so an idle pair held ~3.4 KiB of empty
//! slots. Commands are rare (a person pressing a key), so a mutex-guarded
//! `VecDeque` and an `AtomicWaker` do the same job for ~100 bytes. Waiting
//! is as cheap as a tokio channel's (a pump polls this once per read): the
//! waker is stored in an atomic slot, no list of waiters is locked.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::task::AtomicWaker;

/// Why a command was not queued; it comes back.
#[derive(Debug)]
pub(crate) enum TrySendError<T> {
    /// The queue holds its capacity.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

struct Shared<T> {
    queue: Mutex<VecDeque<T>>,
    capacity: usize,
    /// Commands in the queue: an empty queue is seen without the lock.
    queued: AtomicUsize,
    ready: AtomicWaker,
    sender_gone: AtomicBool,
    receiver_gone: AtomicBool,
}

/// The sending end; dropping it ends the queue once it is drained.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

/// The receiving end.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

/// A queue of at most `capacity` commands.
pub(crate) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        capacity: capacity.max(1),
        queued: AtomicUsize::new(0),
        ready: AtomicWaker::new(),
        sender_gone: AtomicBool::new(false),
        receiver_gone: AtomicBool::new(false),
    });
    (Sender(Arc::clone(&shared)), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item` now, or gives it back.
    pub(crate) fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        if self.0.receiver_gone.load(Ordering::Acquire) {
            return Err(TrySendError::Closed(item));
        }
        {
            let mut queue = match self.0.queue.lock() {
                Ok(queue) => queue,
                Err(poisoned) => poisoned.into_inner(),
            };
            if queue.len() >= self.0.capacity {
                return Err(TrySendError::Full(item));
            }
            queue.push_back(item);
            self.0.queued.store(queue.len(), Ordering::Release);
        }
        self.0.ready.wake();
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.sender_gone.store(true, Ordering::Release);
        self.0.ready.wake();
    }
}

impl<T> Receiver<T> {
    /// The next command; `None` once the sender is gone and all is taken.
    /// Cancel safe: a command is only taken when this returns it.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| {
            if let Some(ready) = self.take() {
                return std::task::Poll::Ready(ready);
            }
            // Registered before looking again: a command queued between
            // the two looks wakes this.
            self.0.ready.register(cx.waker());
            match self.take() {
                Some(ready) => std::task::Poll::Ready(ready),
                None => std::task::Poll::Pending,
            }
        })
        .await
    }

    /// The next command, `Some(None)` at the end, `None` for "wait".
    fn take(&self) -> Option<Option<T>> {
        if self.0.queued.load(Ordering::Acquire) == 0 && !self.0.sender_gone.load(Ordering::Acquire)
        {
            return None;
        }
        let mut queue = match self.0.queue.lock() {
            Ok(queue) => queue,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(item) = queue.pop_front() {
            self.0.queued.store(queue.len(), Ordering::Release);
            return Some(Some(item));
        }
        self.0.sender_gone.load(Ordering::Acquire).then_some(None)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.0.receiver_gone.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_arrive_in_order_up_to_the_capacity_then_the_end() {
        let (tx, mut rx) = channel(2);
        assert!(tx.try_send(1).is_ok());
        assert!(tx.try_send(2).is_ok());
        assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
        assert_eq!(rx.recv().await, Some(1));
        assert!(tx.try_send(3).is_ok());
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_and_a_gone_one_refuses() {
        let (tx, mut rx) = channel(4);
        let waiter = tokio::spawn(async move {
            let got = rx.recv().await;
            (got, rx)
        });
        tokio::task::yield_now().await;
        tx.try_send("go").unwrap();
        let (got, rx) = waiter.await.unwrap();
        assert_eq!(got, Some("go"));
        drop(rx);
        assert!(matches!(
            tx.try_send("late"),
            Err(TrySendError::Closed("late"))
        ));
    }
}
