//! Raw DEFLATE (RFC 1951), the compression of a `?scenario=` link, done by
//! the browser's own `CompressionStream` and `DecompressionStream`
//! (`'deflate-raw'`) rather than by a compressor in the wasm (miniz's was
//! 15 KB of the app gzipped). The bytes are the same format as before, so
//! every link made earlier still opens.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair, WritableStream,
};

// The two transform streams, bound here: web-sys has them only behind its
// unstable-APIs flag, and all the app needs is a constructor and the two
// ends.
#[wasm_bindgen]
extern "C" {
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> WritableStream;

    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> WritableStream;
}

/// The format's name for the two streams: DEFLATE without zlib's header.
const RAW: &str = "deflate-raw";

/// Why inflating failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Inflate {
    /// More than the limit came out.
    TooLarge,
    /// The bytes are not raw DEFLATE, or stop short.
    Damaged,
}

/// `bytes` compressed.
pub async fn compress(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let stream = CompressionStream::new(RAW).map_err(crate::fetch::js_why)?;
    let pair = ReadableWritablePair::new(&stream.readable(), &stream.writable());
    read_all(through(bytes, &pair)?, usize::MAX)
        .await
        .map_err(|_| "the browser could not compress the text".to_string())
}

/// `bytes` inflated, or why not; at most `limit` bytes come out (a link
/// cannot make the page inflate without end).
pub async fn decompress(bytes: &[u8], limit: usize) -> Result<Vec<u8>, Inflate> {
    let stream = DecompressionStream::new(RAW).map_err(|_| Inflate::Damaged)?;
    let pair = ReadableWritablePair::new(&stream.readable(), &stream.writable());
    let out = through(bytes, &pair).map_err(|_| Inflate::Damaged)?;
    read_all(out, limit).await
}

/// `bytes` as a stream piped through `pair`.
fn through(bytes: &[u8], pair: &ReadableWritablePair) -> Result<ReadableStream, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = Blob::new_with_u8_array_sequence(&parts).map_err(crate::fetch::js_why)?;
    Ok(blob.stream().pipe_through(pair))
}

/// Everything `stream` gives, unless it errs or passes `limit` bytes.
async fn read_all(stream: ReadableStream, limit: usize) -> Result<Vec<u8>, Inflate> {
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| Inflate::Damaged)?;
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(out);
        }
        let value = js_sys::Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|_| Inflate::Damaged)?;
        out.extend(value.unchecked_into::<Uint8Array>().to_vec());
        if out.len() > limit {
            // Stop the stream: nothing more is wanted from it.
            let _ = reader.cancel();
            return Err(Inflate::TooLarge);
        }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn text_comes_back_whole_and_a_limit_or_damage_is_told() {
        let text = "process p\np: mmap heap 8 # ünïcode\n".repeat(200);
        let packed = compress(text.as_bytes()).await.unwrap();
        assert!(packed.len() < text.len() / 10, "{} bytes", packed.len());
        assert_eq!(decompress(&packed, 1 << 20).await.unwrap(), text.as_bytes());
        assert_eq!(decompress(&packed, 100).await, Err(Inflate::TooLarge));
        assert_eq!(
            decompress(&packed[..packed.len() / 2], 1 << 20).await,
            Err(Inflate::Damaged)
        );
    }

    #[wasm_bindgen_test]
    async fn a_link_made_by_the_documented_python_one_liner_inflates() {
        // docs/url-format.md's one-liner, run on "process p\np: mmap heap 8\n".
        let bytes = crate::url::unbase64("KyjKT04tLlYo4CqwUsjNTSxQyEgFEhZcAA").unwrap();
        assert_eq!(
            decompress(&bytes, 1 << 20).await.unwrap(),
            b"process p\np: mmap heap 8\n"
        );
    }
}
