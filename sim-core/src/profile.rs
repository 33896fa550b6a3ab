//! The kernel-dependent figures the model uses, gathered in one value so
//! that a calibration against a running kernel (`forkscope calibrate`) can
//! replace them.

use serde::{Deserialize, Serialize};

/// Figures of one kernel build and configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelProfile {
    /// PAGE_SIZE (arch/x86/include/asm/page_types.h): 4096 on x86_64.
    pub page_size: u32,
    /// fault_around_bytes (mm/memory.c): 65536.
    pub fault_around_bytes: u32,
}

impl KernelProfile {
    /// Linux 6.18, x86_64, as measured in KERNEL-FACTS.md.
    pub fn linux_6_18_x86_64() -> KernelProfile {
        KernelProfile { page_size: 4096, fault_around_bytes: 65536 }
    }

    /// Pages in one fault-around block.
    pub fn fault_around_pages(&self) -> u32 {
        self.fault_around_bytes / self.page_size
    }
}

impl Default for KernelProfile {
    fn default() -> Self {
        KernelProfile::linux_6_18_x86_64()
    }
}
