//! The wasm heap: talc (measured faster and smaller than Rust's default dlmalloc here), fed by a
//! source that grows the wasm memory geometrically. talc's own source grows by just what one
//! allocation needs, and where the engine copies the memory on every `memory.grow` (measured in
//! Node: building one event of 200,000 items took 10 s the first time and 0.7 s once the memory
//! had grown) that made the cost of a large input quadratic. Doubling makes it linear.
use core::alloc::Layout;
use core::arch::wasm32::{memory_grow, memory_size};
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
        let end = base.wrapping_add(pages * PAGE_SIZE);
        if let Some(old_end) = talc.source.end.take() {
            if old_end.as_ptr() == base {
                // SAFETY: the memory from `old_end` to `end` was just grown and is unused.
                talc.source.end = Some(unsafe { talc.extend(old_end, end) });
                return Ok(());
            }
        }
        // SAFETY: as above, a fresh region nobody else uses.
        talc.source.end = unsafe { talc.claim(base, pages * PAGE_SIZE) };
        Ok(())
    }
}

#[global_allocator]
static ALLOCATOR: TalcSyncCell<DoublingGrowth, WasmBinning> =
    TalcSyncCell::new_wasm(DoublingGrowth { end: None });
