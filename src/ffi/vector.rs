//! `splade_sparse_vector` and `splade_sparse_batch`: the vectors returned to C callers.

use crate::ffi::boundary::quietly;
use crate::vector::SparseVector;

/// A SPLADE vector: `len` vocabulary ids in ascending order and their weights (all `> 0`).
///
/// Returned by `splade_expander_expand`, owned by the caller and freed with `splade_sparse_vector_free`; inside a
/// `splade_sparse_batch` the vectors are views owned by the batch. Immutable: may be read from any thread. When
/// `len` is 0 the pointers must not be dereferenced.
#[repr(C)]
pub struct splade_sparse_vector {
    /// Vocabulary ids, ascending and unique.
    pub indices: *const u32,
    /// Weights, `weights[i]` belonging to `indices[i]`.
    pub weights: *const f32,
    /// The number of terms.
    pub len: usize,
}

/// The vectors of a batch, in the order of the texts, stored in two shared arrays.
///
/// Returned by `splade_expander_expand_batch`, owned by the caller and freed (with every view in it) by
/// `splade_sparse_batch_free`. Immutable: may be read from any thread. `vectors[i]` views the slice of
/// `indices`/`weights` that belongs to text `i`; the slices follow each other in text order.
#[repr(C)]
pub struct splade_sparse_batch {
    /// The number of vectors (= the number of texts).
    pub count: usize,
    /// `count` vectors, viewing into `indices` and `weights`.
    pub vectors: *const splade_sparse_vector,
    /// Every vector's ids, one vector after the other.
    pub indices: *const u32,
    /// Every vector's weights, laid out like `indices`.
    pub weights: *const f32,
    /// The length of `indices` and `weights`.
    pub total_len: usize,
}

fn leak<T>(items: Vec<T>) -> *const T {
    Box::into_raw(items.into_boxed_slice()) as *const T
}

/// Frees a slice made by `leak`.
///
/// # Safety
/// `ptr` and `len` must come from one `leak` call, and the slice must be freed once.
unsafe fn unleak<T>(ptr: *const T, len: usize) {
    // SAFETY: `ptr` and `len` are a boxed slice's, from `leak`, freed once (this function's contract).
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.cast_mut(), len)) });
}

impl splade_sparse_vector {
    /// Moves `vector` to the heap for a C caller.
    pub(crate) fn boxed(vector: SparseVector) -> *mut splade_sparse_vector {
        let len = vector.len();
        Box::into_raw(Box::new(splade_sparse_vector {
            indices: leak(vector.indices),
            weights: leak(vector.weights),
            len,
        }))
    }
}

impl splade_sparse_batch {
    /// Moves `vectors` to the heap for a C caller, as two shared arrays and views into them.
    pub(crate) fn boxed(vectors: Vec<SparseVector>) -> *mut splade_sparse_batch {
        let total_len = vectors.iter().map(SparseVector::len).sum();
        let mut indices = Vec::with_capacity(total_len);
        let mut weights = Vec::with_capacity(total_len);
        let mut lens = Vec::with_capacity(vectors.len());
        for vector in &vectors {
            indices.extend_from_slice(&vector.indices);
            weights.extend_from_slice(&vector.weights);
            lens.push(vector.len());
        }
        let indices = leak(indices);
        let weights = leak(weights);
        let mut offset = 0;
        let views: Vec<splade_sparse_vector> = lens
            .into_iter()
            .map(|len| {
                // SAFETY: `offset + len <= total_len`, inside the arrays just leaked.
                let view = unsafe {
                    splade_sparse_vector {
                        indices: indices.add(offset),
                        weights: weights.add(offset),
                        len,
                    }
                };
                offset += len;
                view
            })
            .collect();
        Box::into_raw(Box::new(splade_sparse_batch {
            count: views.len(),
            vectors: leak(views),
            indices,
            weights,
            total_len,
        }))
    }
}

/// Frees `vector`. NULL is a no-op. Do not pass a vector viewed inside a `splade_sparse_batch`. Must not run
/// while another call uses `vector`.
///
/// Freeing it twice, freeing a view of a batch, or using it after, is undefined behaviour, and not detected: the
/// struct's layout is public, so it has no tag word as the opaque handles do (adding one would change it for every
/// caller).
///
/// # Safety
/// `vector` must be NULL or a vector from `splade_expander_expand` not yet freed, with its fields as the library
/// wrote them; it is freed once, and not used after.
#[no_mangle]
pub unsafe extern "C" fn splade_sparse_vector_free(vector: Option<Box<splade_sparse_vector>>) {
    let Some(vector) = vector else { return };
    quietly((), || {
        // SAFETY: the arrays of a vector from `splade_sparse_vector::boxed` were made by `leak` with `len`
        // entries, and are freed once, with the vector (this function's contract).
        unsafe {
            unleak(vector.indices, vector.len);
            unleak(vector.weights, vector.len);
        }
    })
}

/// Frees `batch` and every vector in it. NULL is a no-op. Must not run while another call uses `batch`.
///
/// Freeing it twice, or using it or its vectors after, is undefined behaviour, and not detected: the struct's
/// layout is public, so it has no tag word as the opaque handles do (adding one would change it for every caller).
///
/// # Safety
/// `batch` must be NULL or a batch from `splade_expander_expand_batch` not yet freed, with its fields as the
/// library wrote them; it is freed once, and neither it nor its vectors are used after.
#[no_mangle]
pub unsafe extern "C" fn splade_sparse_batch_free(batch: Option<Box<splade_sparse_batch>>) {
    let Some(batch) = batch else { return };
    quietly((), || {
        // SAFETY: the arrays of a batch from `splade_sparse_batch::boxed` were made by `leak`, `vectors` with
        // `count` entries and the others with `total_len`, and are freed once, with the batch (this function's
        // contract).
        unsafe {
            unleak(batch.vectors, batch.count);
            unleak(batch.indices, batch.total_len);
            unleak(batch.weights, batch.total_len);
        }
    })
}
