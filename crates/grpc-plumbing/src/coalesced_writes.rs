//! One write system call per HTTP/2 flush instead of one per message.
//!
//! h2 copies DATA frames into its write buffer only up to a threshold, and sends larger ones
//! from their own buffers, flushing before the next frame. On a socket that takes vectored
//! writes that threshold is 256 bytes, so a stream of typical key events (about 500 bytes each)
//! costs one `writev` per message per connection: fanning one change out to 100,000 watchers
//! spent a third of the server's CPU in the kernel's send path. Reporting the socket as not
//! vectored raises h2's threshold to 1 KiB, so such frames share its 16 KiB buffer; and
//! collecting whatever h2 writes until it flushes turns the remaining large frames (a frame
//! header, then its payload) into one system call as well.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::server::Connected;

/// Bytes collected before a write waits for the socket (backpressure).
const HIGH_WATER: usize = 64 * 1024;
/// A buffer grown past this by a large answer is given back after it is flushed, so idle
/// connections stay small.
const KEEP: usize = 16 * 1024;

/// A connection whose writes are collected until flushed.
#[derive(Debug)]
pub struct CoalescedWrites<IO> {
    io: IO,
    pending: Vec<u8>,
    written: usize,
    /// A flush was put off once so the streams woken with this one can add their frames.
    deferred: bool,
}

impl<IO> CoalescedWrites<IO> {
    pub(crate) fn new(io: IO) -> Self {
        Self {
            io,
            pending: Vec::new(),
            written: 0,
            deferred: false,
        }
    }
}

impl<IO: AsyncWrite + Unpin> CoalescedWrites<IO> {
    /// Writes out everything collected.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        if self.pending.capacity() > KEEP {
            self.pending.shrink_to(KEEP);
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for CoalescedWrites<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending.len() >= HIGH_WATER {
            ready!(self.poll_drain(cx))?;
        }
        self.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection task runs as soon as one stream hands it a frame (tokio runs a task
        // just woken next), so without this every frame would be flushed alone. Yielding once
        // lets the other woken streams queue theirs; the next flush writes them all.
        if !self.deferred && self.written == 0 && self.pending.len() < HIGH_WATER {
            self.deferred = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.deferred = false;
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    /// Not vectored, so h2 copies frames up to 1 KiB into its own buffer (see the module
    /// comment).
    fn is_write_vectored(&self) -> bool {
        false
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for CoalescedWrites<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: Connected> Connected for CoalescedWrites<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn writes_reach_the_peer_only_when_flushed_and_all_of_them() {
        let (near, mut far) = tokio::io::duplex(1024);
        let mut near = CoalescedWrites::new(near);
        near.write_all(b"frame header ").await.expect("write");
        near.write_all(b"and payload").await.expect("write");
        let mut byte = [0_u8; 1];
        let early =
            tokio::time::timeout(std::time::Duration::from_millis(50), far.read(&mut byte)).await;
        assert!(early.is_err(), "nothing is sent before the flush");

        near.flush().await.expect("flush");
        let mut received = vec![0_u8; 24];
        far.read_exact(&mut received).await.expect("read");
        assert_eq!(received, b"frame header and payload");
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_holds_writes_back_at_the_high_water_mark() {
        // The pipe holds 1 KiB; nobody reads the far end.
        let (near, _far) = tokio::io::duplex(1024);
        let mut near = CoalescedWrites::new(near);
        let chunk = vec![7_u8; 4096];
        let mut accepted = 0;
        while tokio::time::timeout(std::time::Duration::from_millis(50), near.write(&chunk))
            .await
            .is_ok()
        {
            accepted += chunk.len();
            assert!(accepted <= HIGH_WATER + chunk.len(), "unbounded buffering");
        }
        assert!(accepted >= HIGH_WATER, "collects up to the mark first");
    }
}
