//! The wasm heap: talc (measured faster and smaller than Rust's default dlmalloc here), fed by a
//! source that grows the wasm memory geometrically. talc's own source grows by just what one
//! allocation needs, and where the engine copies the memory on every `memory.grow` (measured in
//! Node: building one event of 200,000 items took 10 s the first time and 0.7 s once the memory
//! had grown) that made the cost of a large input quadratic. Doubling makes it linear.
//!
//! In front of talc, a cache of freed small blocks by size class: a build makes a few hundred
//! small allocations (strings, vectors of a JSON tree) and frees them all before the next, so
//! the next build finds the same sizes waiting and takes each with a pop from a list instead of
//! a search of talc's bins (measured: talc's allocate/deallocate/gap bookkeeping was ~17% of
//! a build's time in wasm). The cache holds at most `CACHE_CAP` blocks per class; the rest go
//! back to talc, so it bounds the memory it keeps.
use core::alloc::GlobalAlloc;
use core::alloc::Layout;
use core::arch::wasm32::{memory_grow, memory_size};
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use talc::base::binning::Binning;
use talc::base::{Talc, CHUNK_UNIT};
use talc::cell::TalcSyncCell;
use talc::wasm::WasmBinning;

const PAGE_SIZE: usize = 64 * 1024;
/// Never grow by more than this at once (256 MiB): doubling a large heap would otherwise ask
/// for more than an input needs.
const MAX_STEP_PAGES: usize = 4096;

#[derive(Debug)]
pub struct DoublingGrowth {
    end: Option<NonNull<u8>>,
}

/// Pages an allocation of `layout` needs at least, with talc's chunk overhead.
fn pages_for(layout: Layout) -> usize {
    let required = layout.size() + layout.align().max(CHUNK_UNIT) + 2 * CHUNK_UNIT;
    required.div_ceil(PAGE_SIZE)
}

// SAFETY: does not allocate; claims or extends only memory it just grew, as talc's own
// `WasmGrowAndExtend` does.
unsafe impl talc::source::Source for DoublingGrowth {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let needed = pages_for(layout);
        let wanted = needed.max(memory_size::<0>().min(MAX_STEP_PAGES));
        // The doubled step may not fit the engine's limit: then just what is needed.
        let (prev, pages) = match memory_grow::<0>(wanted) {
            usize::MAX => match memory_grow::<0>(needed) {
                usize::MAX => return Err(()),
                prev => (prev, needed),
            },
            prev => (prev, wanted),
        };
        let base = (prev * PAGE_SIZE) as *mut u8;
        // Growing up to the 4 GiB of a wasm32 memory, base + size is 2^32: saturate rather than
        // wrap to null (talc would then see an end below the base), as talc's own source does.
        let size = pages
            .saturating_mul(PAGE_SIZE)
            .min(usize::MAX - base as usize);
        let end = base.wrapping_add(size);
        if let Some(old_end) = talc.source.end.take() {
            if old_end.as_ptr() == base {
                // SAFETY: the memory from `old_end` to `end` was just grown and is unused.
                talc.source.end = Some(unsafe { talc.extend(old_end, end) });
                return Ok(());
            }
        }
        // SAFETY: as above, a fresh region nobody else uses.
        talc.source.end = unsafe { talc.claim(base, size) };
        Ok(())
    }
}

static TALC: TalcSyncCell<DoublingGrowth, WasmBinning> =
    TalcSyncCell::new_wasm(DoublingGrowth { end: None });

/// Size classes of 16 bytes up to `MAX_CACHED`; blocks in a class are all allocated from talc
/// with the class's size and alignment, so any of them serves any request of that class.
const CLASS_BYTES: usize = 16;
const MAX_CACHED: usize = 256;
const CLASSES: usize = MAX_CACHED / CLASS_BYTES;
const CACHE_CAP: u32 = 512;

struct FreeList {
    head: *mut u8,
    len: u32,
}

struct SmallCache {
    lists: UnsafeCell<[FreeList; CLASSES]>,
}

// SAFETY: wasm32 without atomics has one thread; this module is only compiled there.
unsafe impl Sync for SmallCache {}

#[global_allocator]
static ALLOCATOR: SmallCache = SmallCache {
    lists: UnsafeCell::new(
        [const {
            FreeList {
                head: core::ptr::null_mut(),
                len: 0,
            }
        }; CLASSES],
    ),
};

/// The class of a layout the cache serves (`None`: straight to talc), and its block layout.
fn class_of(layout: Layout) -> Option<(usize, Layout)> {
    if layout.size() == 0 || layout.size() > MAX_CACHED || layout.align() > CLASS_BYTES {
        return None;
    }
    let class = (layout.size() - 1) / CLASS_BYTES;
    let block = Layout::from_size_align((class + 1) * CLASS_BYTES, CLASS_BYTES).ok()?;
    Some((class, block))
}

unsafe impl GlobalAlloc for SmallCache {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((class, block)) = class_of(layout) else {
            return TALC.alloc(layout);
        };
        let list = &mut (*self.lists.get())[class];
        if list.head.is_null() {
            return TALC.alloc(block);
        }
        let ptr = list.head;
        // A cached block's first word links to the next one.
        list.head = *(ptr as *mut *mut u8);
        list.len -= 1;
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some((class, block)) = class_of(layout) else {
            return TALC.dealloc(ptr, layout);
        };
        let list = &mut (*self.lists.get())[class];
        if list.len >= CACHE_CAP {
            return TALC.dealloc(ptr, block);
        }
        *(ptr as *mut *mut u8) = list.head;
        list.head = ptr;
        list.len += 1;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class_of(layout);
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        let new = class_of(new_layout);
        match (old, new) {
            // Still fits the block it has.
            (Some((a, _)), Some((b, _))) if a == b => ptr,
            // Both large: talc may grow in place.
            (None, None) => TALC.realloc(ptr, layout, new_size),
            _ => {
                let fresh = self.alloc(new_layout);
                if !fresh.is_null() {
                    let n = layout.size().min(new_size);
                    core::ptr::copy_nonoverlapping(ptr, fresh, n);
                    self.dealloc(ptr, layout);
                }
                fresh
            }
        }
    }
}
