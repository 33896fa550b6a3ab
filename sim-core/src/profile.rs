//! The kernel-dependent figures the model uses, gathered in one value so
//! that a calibration against a running kernel (`forkscope calibrate`) can
//! replace them.
//!
//! Every figure says where its value comes from. Rules that Linux computes
//! from struct sizes and allocator size classes (an skb's "truesize") are
//! kept here as data plus the kernel's own arithmetic, so that a kernel with
//! another `struct sk_buff` layout or slab configuration is one profile
//! away, not a code change. What this module deliberately does not hold:
//! any state; the figures never change while a scenario runs.

use serde::{Deserialize, Serialize};

/// Figures of one kernel build and configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelProfile {
    /// PAGE_SIZE (arch/x86/include/asm/page_types.h): 4096 on x86_64.
    pub page_size: u32,
    /// fault_around_bytes (mm/memory.c): 65536.
    pub fault_around_bytes: u32,

    /// PIPE_DEF_BUFFERS (include/linux/pipe_fs_i.h): 16 page slots in a new
    /// pipe's ring, so F_GETPIPE_SZ starts at 16 * PAGE_SIZE = 65536.
    pub pipe_def_buffers: u32,
    /// PIPE_BUF (include/uapi/linux/limits.h): 4096. fs/pipe.c never reads
    /// it: pipe_write's atomicity for writes up to PIPE_BUF follows from a
    /// slot being a whole page. Kept for narration and for the tests that
    /// check the page-slot rule really delivers it.
    pub pipe_buf: u32,
    /// /proc/sys/fs/pipe-max-size (`pipe_max_size` in fs/pipe.c): 1048576.
    /// F_SETPIPE_SZ above it needs CAP_SYS_RESOURCE.
    pub pipe_max_size: u32,

    /// net.core.wmem_default (`sysctl_wmem_default`, net/core/sock.c;
    /// SK_WMEM_MAX = SKB_TRUESIZE(256) * 256 in include/net/sock.h): 212992.
    /// sock_init_data() gives every new socket this sk_sndbuf.
    pub wmem_default: u32,
    /// net.core.wmem_max (`sysctl_wmem_max`, net/core/sock.c). SO_SNDBUF
    /// clamps its argument to it before doubling (sk_setsockopt). The
    /// kernel compiles in SK_WMEM_MAX = 212992, but it is a sysctl that
    /// distributions raise: on the VM where the default profile was measured,
    /// /proc/sys/net/core/wmem_max reads 4194304 (`forkscope calibrate`),
    /// so SO_SNDBUF of 1000000 stores 2000000 there, not 425984.
    pub wmem_max: u32,
    /// net.core.rmem_default (= SK_RMEM_MAX, include/net/sock.h): 212992.
    /// AF_UNIX flow control never reads sk_rcvbuf; it is reported only.
    pub rmem_default: u32,
    /// SOCK_MIN_SNDBUF = 2 * TCP_SKB_MIN_TRUESIZE = 2 * (2048 +
    /// SKB_DATA_ALIGN(sizeof(struct sk_buff))) (include/net/sock.h): 4608.
    pub sock_min_sndbuf: u32,
    /// How an skb's truesize is computed: struct sizes and kmalloc classes.
    pub skb: SkbLayout,

    /// RLIMIT_NOFILE soft limit: 1024, INR_OPEN_CUR (include/uapi/linux/fs.h),
    /// init's soft limit (INIT_RLIMITS, include/asm-generic/resource.h),
    /// which every process inherits unless something raises it. A new fd's
    /// number must stay below it: alloc_fd(0, rlimit(RLIMIT_NOFILE)) fails
    /// with EMFILE (get_unused_fd_flags, fs/file.c). It is a process's limit,
    /// not a kernel figure (a shell's `ulimit -n` changes it; Node.js raises
    /// its own to the hard limit as it starts, PlatformInit in src/node.cc),
    /// so `forkscope calibrate` does not measure it: `forkscope check` gives
    /// the scenario's processes this limit instead (native/src/check/nofile.rs).
    pub nofile: u32,

    /// /sys/kernel/mm/transparent_hugepage/enabled. The model maps 4 KiB
    /// pages only, which holds for plain mmaps under `madvise` and `never`
    /// (and for every region `forkscope check` maps: MADV_NOHUGEPAGE).
    pub thp: ThpMode,
    /// The kernel version the figures come from, `major.minor` as
    /// /proc/sys/kernel/osrelease begins.
    pub kernel: String,
}

/// Transparent huge page mode (mm/huge_memory.c, `enabled_show`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThpMode {
    /// Every large enough anonymous mapping may get huge pages.
    Always,
    /// Only regions advised with MADV_HUGEPAGE.
    Madvise,
    /// None.
    Never,
}

/// The "truesize rule": what an skb holding N bytes costs its sender.
///
/// `__alloc_skb` (net/core/skbuff.c) allocates the linear head with
/// `kmalloc_reserve`, which asks for SKB_HEAD_ALIGN(len) (the data rounded
/// to a cache line, plus the aligned `struct skb_shared_info`) and rounds
/// that up with `kmalloc_size_roundup`; truesize is then that allocation
/// plus the aligned `struct sk_buff` (SKB_TRUESIZE of SKB_WITH_OVERHEAD).
/// `alloc_skb_with_frags` adds `PAGE_SIZE << order` for each page fragment.
///
/// AF_UNIX allocates with GFP_KERNEL_ACCOUNT; with CONFIG_MEMCG,
/// `KMALLOC_NOT_NORMAL_BITS` contains `__GFP_ACCOUNT`, so `kmalloc_reserve`
/// never takes its `skb_small_head_cache` shortcut for these skbs: the
/// head is always a plain kmalloc size class. That is why a 1-byte send
/// costs 512 + 256 = 768 and not 640 + 256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkbLayout {
    /// SMP_CACHE_BYTES (= L1_CACHE_BYTES, arch/x86/include/asm/cache.h): 64.
    /// SKB_DATA_ALIGN rounds up to it.
    pub smp_cache_bytes: u32,
    /// SKB_DATA_ALIGN(sizeof(struct sk_buff)) (include/linux/skbuff.h):
    /// sizeof is 232 on x86_64 6.x, aligned 256.
    pub sk_buff_aligned: u32,
    /// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) (include/linux/skbuff.h):
    /// 320 with MAX_SKB_FRAGS = 17.
    pub shared_info_aligned: u32,
    /// MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS, include/linux/skbuff.h): 17.
    pub max_skb_frags: u32,
    /// The kmalloc size classes up to KMALLOC_MAX_CACHE_SIZE, ascending
    /// (`kmalloc_info` and `kmalloc_size_index`, mm/slab_common.c, SLUB):
    /// 8, 16, 32, 64, 96, 128, 192, then powers of two to 8192. A request
    /// gets the smallest class that holds it; above the last class,
    /// `kmalloc_size_roundup` answers `PAGE_SIZE << get_order(size)`.
    pub kmalloc_classes: Vec<u32>,
}

impl KernelProfile {
    /// Linux 6.18, x86_64, as measured by `forkscope calibrate`.
    pub fn linux_6_18_x86_64() -> KernelProfile {
        KernelProfile {
            page_size: 4096,
            fault_around_bytes: 65536,
            pipe_def_buffers: 16,
            pipe_buf: 4096,
            pipe_max_size: 1_048_576,
            wmem_default: 212_992,
            wmem_max: 212_992,
            rmem_default: 212_992,
            sock_min_sndbuf: 4608,
            skb: SkbLayout {
                smp_cache_bytes: 64,
                sk_buff_aligned: 256,
                shared_info_aligned: 320,
                max_skb_frags: 17,
                kmalloc_classes: vec![
                    8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
                ],
            },
            nofile: 1024,
            thp: ThpMode::Madvise,
            kernel: "6.18".to_string(),
        }
    }

    /// The profile the model runs by default: Linux 6.18 as above, with the
    /// sysctls of the machine it was measured on, where
    /// net.core.wmem_max is 4194304 (see `wmem_max`).
    pub fn measured() -> KernelProfile {
        KernelProfile {
            wmem_max: 4_194_304,
            ..KernelProfile::linux_6_18_x86_64()
        }
    }

    /// UNIX_SKB_FRAGS_SZ = PAGE_SIZE << get_order(32768) (net/unix/af_unix.c):
    /// the most a stream skb carries in page fragments.
    pub(crate) fn unix_skb_frags_sz(&self) -> u64 {
        u64::from(self.page_size) << self.get_order(32768)
    }

    /// What one stream send of `len` bytes on a fresh socketpair with the
    /// default SO_SNDBUF charges its sender (the sum of its skbs'
    /// truesize, SIOCOUTQ right after the send), sized the way
    /// unix_stream_sendmsg does: each skb takes at most half the send
    /// buffer less 64 and at most SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ;
    /// what the linear head cannot hold goes to page fragments in whole
    /// pages (never more than the data), allocated by alloc_skb_with_frags
    /// with pages of order up to get_order(UNIX_SKB_FRAGS_SZ). Every skb
    /// is assumed admitted, which holds while `len` fits the buffer.
    pub fn stream_send_truesize(&self, len: u64) -> Result<u64, crate::errno::Errno> {
        let mut sent = 0;
        let mut total = 0;
        while sent < len {
            let (size, truesize) = self.stream_skb(len - sent, self.wmem_default)?;
            total += truesize;
            sent += size;
        }
        Ok(total)
    }

    /// The next skb of a stream send with `remaining` bytes to go on a
    /// socket whose SO_SNDBUF is `sndbuf`: its payload and its truesize
    /// (unix_stream_sendmsg's loop body, up to sock_alloc_send_pskb).
    /// "Keep two messages in the pipe so it schedules better": at most half
    /// the send buffer less 64; at most SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ;
    /// what the linear head cannot hold goes to page fragments in whole
    /// pages (never more than the data itself).
    pub(crate) fn stream_skb(
        &self,
        remaining: u64,
        sndbuf: u32,
    ) -> Result<(u64, u64), crate::errno::Errno> {
        let skb = &self.skb;
        let max_head = skb.max_head(self, 0);
        let frags_sz = self.unix_skb_frags_sz();
        let half = (u64::from(sndbuf) >> 1).saturating_sub(64).max(1);
        let size = remaining.min(half).min(max_head + frags_sz);
        let data_len = self.page_align(size.saturating_sub(max_head)).min(size);
        let truesize = skb.alloc_skb_with_frags_truesize(
            self,
            size - data_len,
            data_len,
            self.get_order(frags_sz),
        )?;
        Ok((size, truesize))
    }

    /// Pages in one fault-around block.
    pub(crate) fn fault_around_pages(&self) -> u32 {
        self.fault_around_bytes / self.page_size.max(1)
    }

    /// MAX_RW_COUNT = INT_MAX & PAGE_MASK (include/linux/fs.h): the most a
    /// single read or write moves; rw_verify_area() clamps larger counts.
    pub fn max_rw_count(&self) -> u64 {
        (i32::MAX as u64) & !(u64::from(self.page_size.max(1)) - 1)
    }

    /// get_order(size) (include/asm-generic/getorder.h): the smallest order
    /// such that `PAGE_SIZE << order >= size`.
    pub(crate) fn get_order(&self, size: u64) -> u32 {
        let page = u64::from(self.page_size.max(1));
        let mut order = 0;
        while (page << order) < size && order < 40 {
            order += 1;
        }
        order
    }

    /// PAGE_ALIGN(x) (include/linux/mm.h).
    pub(crate) fn page_align(&self, x: u64) -> u64 {
        align_up(x, u64::from(self.page_size.max(1)))
    }
}

impl SkbLayout {
    /// SKB_DATA_ALIGN(x) = ALIGN(x, SMP_CACHE_BYTES) (include/linux/skbuff.h).
    pub(crate) fn data_align(&self, x: u64) -> u64 {
        align_up(x, u64::from(self.smp_cache_bytes.max(1)))
    }

    /// SKB_HEAD_ALIGN(x): the allocation needed for x bytes of head plus the
    /// cache-aligned skb_shared_info behind them (include/linux/skbuff.h).
    pub(crate) fn head_align(&self, x: u64) -> u64 {
        self.data_align(x) + u64::from(self.shared_info_aligned)
    }

    /// SKB_WITH_OVERHEAD(x): usable head bytes in an x-byte allocation.
    pub(crate) fn with_overhead(&self, x: u64) -> u64 {
        x.saturating_sub(u64::from(self.shared_info_aligned))
    }

    /// SKB_MAX_ORDER(x, order) = SKB_WITH_OVERHEAD((PAGE_SIZE << order) - x).
    pub(crate) fn max_order(&self, k: &KernelProfile, x: u64, order: u32) -> u64 {
        self.with_overhead((u64::from(k.page_size) << order).saturating_sub(x))
    }

    /// SKB_MAX_HEAD(x) = SKB_MAX_ORDER(x, 0): 3776 with 4 KiB pages.
    pub(crate) fn max_head(&self, k: &KernelProfile, x: u64) -> u64 {
        self.max_order(k, x, 0)
    }

    /// SKB_MAX_ALLOC = SKB_MAX_ORDER(0, 2): 16064 with 4 KiB pages.
    pub(crate) fn max_alloc(&self, k: &KernelProfile) -> u64 {
        self.max_order(k, 0, 2)
    }

    /// SKB_TRUESIZE(x) = x + aligned sk_buff + aligned skb_shared_info.
    pub(crate) fn truesize(&self, x: u64) -> u64 {
        x + u64::from(self.sk_buff_aligned) + u64::from(self.shared_info_aligned)
    }

    /// kmalloc_size_roundup(size) (mm/slab_common.c).
    pub(crate) fn kmalloc_size_roundup(&self, k: &KernelProfile, size: u64) -> u64 {
        if size == 0 {
            return 0;
        }
        match self
            .kmalloc_classes
            .iter()
            .map(|&c| u64::from(c))
            .find(|&c| c >= size)
        {
            Some(class) => class,
            // Above KMALLOC_MAX_CACHE_SIZE kmalloc goes to the page allocator.
            None => u64::from(k.page_size) << k.get_order(size),
        }
    }

    /// The truesize `alloc_skb(header_len)` gives a fresh skb: __alloc_skb
    /// sets SKB_TRUESIZE(SKB_WITH_OVERHEAD(kmalloc_reserve's size)), which
    /// is the rounded head allocation plus the aligned struct sk_buff.
    pub(crate) fn alloc_skb_truesize(&self, k: &KernelProfile, header_len: u64) -> u64 {
        let head = self.kmalloc_size_roundup(k, self.head_align(header_len));
        self.truesize(self.with_overhead(head))
    }

    /// The truesize of `alloc_skb_with_frags(header_len, data_len, order)`
    /// (net/core/skbuff.c), assuming every high-order page allocation
    /// succeeds (the model has no memory fragmentation): the head, plus
    /// `PAGE_SIZE << order` per fragment, where the order steps down while
    /// `PAGE_ALIGN(data_len) < PAGE_SIZE << order`. Fails with EMSGSIZE when
    /// `data_len > MAX_SKB_FRAGS * (PAGE_SIZE << order)`, as the kernel does.
    pub(crate) fn alloc_skb_with_frags_truesize(
        &self,
        k: &KernelProfile,
        header_len: u64,
        data_len: u64,
        max_page_order: u32,
    ) -> Result<u64, crate::errno::Errno> {
        let page = u64::from(k.page_size);
        let mut order = max_page_order;
        if data_len > u64::from(self.max_skb_frags) * (page << order) {
            return Err(crate::errno::Errno::EMSGSIZE);
        }
        let mut truesize = self.alloc_skb_truesize(k, header_len);
        let mut left = data_len;
        let mut frags = 0;
        while left > 0 {
            if frags == self.max_skb_frags {
                // alloc_skb_with_frags' `goto failure`: -ENOBUFS.
                return Err(crate::errno::Errno::ENOBUFS);
            }
            while order > 0 && k.page_align(left) < (page << order) {
                order -= 1;
            }
            let chunk = left.min(page << order);
            left -= chunk;
            truesize += page << order;
            frags += 1;
        }
        Ok(truesize)
    }
}

/// Round `x` up to a multiple of `to` (a power of two in every use here).
fn align_up(x: u64, to: u64) -> u64 {
    x.div_ceil(to).saturating_mul(to)
}

impl Default for KernelProfile {
    fn default() -> Self {
        KernelProfile::measured()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_send_truesize_matches_what_the_kernel_charged() {
        // SIOCOUTQ after one send on a fresh socketpair, Linux 6.18 x86_64.
        let k = KernelProfile::default();
        for (len, charged) in [
            (1, 768),
            (100, 768),
            (1000, 2304),
            (3000, 4352),
            (4096, 4864),
            (16384, 17152),
            (65536, 67072),
        ] {
            assert_eq!(k.stream_send_truesize(len), Ok(charged), "{len} bytes");
        }
    }
}
