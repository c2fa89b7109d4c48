//! Reading a request body with a size limit: stop as soon as it is exceeded.

/// The largest request body accepted, in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A source of body bytes in chunks; the wasm glue reads a `wasi:http` stream.
#[allow(async_fn_in_trait)] // single-threaded wasm: no `Send` bound wanted
pub trait BodySource {
    /// The next chunk, or `None` at the end of the body.
    async fn next_chunk(&mut self) -> Option<Vec<u8>>;
}

/// The body was longer than `limit` bytes; reading stopped there. Each
/// component maps it to its 413 error (`From<TooLarge>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub limit: usize,
}

/// Reads the whole body if it is at most `limit` bytes; otherwise stops
/// reading and fails with [`TooLarge`].
pub async fn read_limited(source: &mut impl BodySource, limit: usize) -> Result<Vec<u8>, TooLarge> {
    let mut body = Vec::new();
    while let Some(chunk) = source.next_chunk().await {
        if body.len() + chunk.len() > limit {
            return Err(TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A body already in memory, handed out in chunks of a fixed size (tests and
/// callers that have the bytes).
#[derive(Debug, Clone)]
pub struct Chunks {
    data: Vec<u8>,
    chunk: usize,
    /// How many chunks have been handed out.
    pub reads: usize,
}

impl Chunks {
    /// `data` in chunks of `chunk` bytes (at least 1).
    pub fn new(data: impl Into<Vec<u8>>, chunk: usize) -> Chunks {
        Chunks {
            data: data.into(),
            chunk: chunk.max(1),
            reads: 0,
        }
    }
}

impl BodySource for Chunks {
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if self.data.is_empty() {
            return None;
        }
        let rest = self.data.split_off(self.chunk.min(self.data.len()));
        self.reads += 1;
        Some(std::mem::replace(&mut self.data, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn reads_a_small_body_whole() {
        let mut src = Chunks::new(b"hello world".to_vec(), 4);
        assert_eq!(
            block_on(read_limited(&mut src, 100)).unwrap(),
            b"hello world"
        );
        assert_eq!(src.reads, 3);
    }

    #[test]
    fn empty_body_is_empty() {
        let mut src = Chunks::new(Vec::new(), 4);
        assert_eq!(block_on(read_limited(&mut src, 100)).unwrap(), b"");
    }

    #[test]
    fn exactly_the_limit_is_accepted() {
        let mut src = Chunks::new(vec![b'a'; MAX_BODY_BYTES], 1000);
        assert_eq!(
            block_on(read_limited(&mut src, MAX_BODY_BYTES))
                .unwrap()
                .len(),
            MAX_BODY_BYTES
        );
    }

    #[test]
    fn over_the_limit_is_413_and_stops_reading() {
        let mut src = Chunks::new(vec![b'a'; 10 * MAX_BODY_BYTES], 1024);
        let err = block_on(read_limited(&mut src, MAX_BODY_BYTES)).unwrap_err();
        assert_eq!(
            err,
            TooLarge {
                limit: MAX_BODY_BYTES
            }
        );
        // 64 chunks fill the limit; the 65th goes over; nothing more is read.
        assert_eq!(src.reads, 65);
    }
}
