// SPDX-License-Identifier: GPL-2.0

//! Module parameters that the 6.12 `module!` macro cannot declare: a
//! read-only string (`charp`) parameter, declared with
//! [`module_str_param!`](crate::module_str_param).

use super::bindings;
use super::ThisModulePtr;
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void, CStr};

/// The storage of a `charp` parameter: a C string pointer the kernel sets
/// while loading the module.
///
/// # Invariants
///
/// The pointer is a valid C string from module load until unload, and it
/// is only written before the module's init runs (the parameter is declared
/// read-only, so sysfs never writes it).
#[repr(transparent)]
pub(crate) struct StrParam(UnsafeCell<*mut c_char>);

// SAFETY: after load the value is only read (type invariant).
unsafe impl Sync for StrParam {}

impl StrParam {
    /// A parameter whose default is `default`.
    pub(crate) const fn new(default: &'static CStr) -> Self {
        Self(UnsafeCell::new(default.as_ptr() as *mut c_char))
    }

    /// The current value.
    pub(crate) fn get(&self) -> &CStr {
        // SAFETY: by the type invariant the pointer is a valid C string and
        // nobody writes it any more.
        unsafe { CStr::from_ptr(*self.0.get()) }
    }

    const fn as_arg(&'static self) -> *mut c_void {
        self.0.get().cast()
    }
}

/// The storage of a `uint` parameter, writable through sysfs at any time.
#[repr(transparent)]
pub(crate) struct UintParam(core::sync::atomic::AtomicU32);

impl UintParam {
    pub(crate) const fn new(v: u32) -> Self {
        Self(core::sync::atomic::AtomicU32::new(v))
    }

    /// The current value.
    pub(crate) fn get(&self) -> u32 {
        self.0.load(core::sync::atomic::Ordering::Relaxed)
    }

    const fn as_arg(&'static self) -> *mut c_void {
        self.0.as_ptr().cast()
    }
}

/// One entry of the module's `__param` section.
#[repr(transparent)]
pub(crate) struct KernelParam(bindings::kernel_param);

// SAFETY: the entry is only read by the module loader.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    /// A read-only (0444) `charp` parameter called `name` stored in `value`.
    pub(crate) const fn charp(
        name: &'static CStr,
        value: &'static StrParam,
        owner: ThisModulePtr,
    ) -> Self {
        Self(bindings::kernel_param {
            name: name.as_ptr(),
            mod_: owner.as_ptr(),
            ops: &raw const bindings::param_ops_charp,
            perm: 0o444,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: value.as_arg(),
            },
        })
    }
}

impl KernelParam {
    /// A `uint` parameter (mode `perm` in sysfs) called `name` stored in
    /// `value`; `param_set_uint` writes it with a plain 32-bit store, which
    /// the atomic storage tolerates.
    pub(crate) const fn uint(
        name: &'static CStr,
        value: &'static UintParam,
        perm: u16,
        owner: ThisModulePtr,
    ) -> Self {
        Self(bindings::kernel_param {
            name: name.as_ptr(),
            mod_: owner.as_ptr(),
            ops: &raw const bindings::param_ops_uint,
            perm,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                arg: value.as_arg(),
            },
        })
    }
}

/// Declares a `uint` module parameter `$name` (sysfs mode `$perm`) stored in
/// the static `$var` (a [`UintParam`]), with its modinfo type and
/// description.
#[macro_export]
macro_rules! module_uint_param {
    ($var:ident, $name:literal, $default:expr, $perm:expr, $desc:literal) => {
        static $var: $crate::ffi::param::UintParam = $crate::ffi::param::UintParam::new($default);
        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: $crate::ffi::param::KernelParam = $crate::ffi::param::KernelParam::uint(
                match core::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                    Ok(s) => s,
                    Err(_) => panic!(),
                },
                &$var,
                $perm,
                $crate::ffi::ThisModulePtr::get(),
            );
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARMTYPE: [u8; concat!("parmtype=", $name, ":uint\0").len()] =
                $crate::ffi::param::bytes(concat!("parmtype=", $name, ":uint\0"));
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARM: [u8; concat!("parm=", $name, ":", $desc, "\0").len()] =
                $crate::ffi::param::bytes(concat!("parm=", $name, ":", $desc, "\0"));
        };
    };
}

/// Declares a read-only string module parameter `$name` stored in the static
/// `$var` (a [`StrParam`]), with its modinfo type and description.
#[macro_export]
macro_rules! module_str_param {
    ($var:ident, $name:literal, $default:expr, $desc:literal) => {
        static $var: $crate::ffi::param::StrParam = $crate::ffi::param::StrParam::new($default);
        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: $crate::ffi::param::KernelParam = $crate::ffi::param::KernelParam::charp(
                match core::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                    Ok(s) => s,
                    Err(_) => panic!(),
                },
                &$var,
                $crate::ffi::ThisModulePtr::get(),
            );
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARMTYPE: [u8; concat!("parmtype=", $name, ":charp\0").len()] =
                $crate::ffi::param::bytes(concat!("parmtype=", $name, ":charp\0"));
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static PARM: [u8; concat!("parm=", $name, ":", $desc, "\0").len()] =
                $crate::ffi::param::bytes(concat!("parm=", $name, ":", $desc, "\0"));
        };
    };
}

/// Copies a string into a byte array of its length, for `.modinfo` entries.
pub(crate) const fn bytes<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i];
        i += 1;
    }
    out
}
