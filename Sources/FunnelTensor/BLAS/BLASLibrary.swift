import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CBLAS library that runs the core's matrix products, loaded when first needed.
///
/// Funnel loads its BLAS at run time rather than linking it, for two reasons. A missing library
/// then gives one line saying what to install instead of the dynamic linker's refusal to start,
/// and the kernel choice happens in the process that does the work (library users included), in
/// the first call, before any product runs: OpenBLAS is moved to the best kernel set the CPU's
/// features allow (`KernelChoice`) through the same entry points its own loader calls.
///
/// `FUNNEL_BLAS_LIBRARY` names another library to load (a path or a file name the dynamic loader
/// finds): any CBLAS with `cblas_sgemm`, such as BLIS (`libblis.so.4`); OpenBLAS by default.
public final class BLASLibrary: @unchecked Sendable {
    public enum Vendor: String, Sendable {
        case openBLAS = "OpenBLAS"
        case blis = "BLIS"
        case other = "CBLAS"
    }

    @usableFromInline
    typealias SgemmFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void

    /// The file name or path that was loaded.
    public let path: String
    public let vendor: Vendor
    /// The library's own description of its build (`openblas_get_config`), if it has one.
    public let build: String?
    /// The kernel set the library picked by itself when it loaded.
    public let pickedKernel: String?
    /// What Funnel did about the kernel set at load.
    public let choice: KernelChoice
    /// The kernel set `OPENBLAS_CORETYPE` asked for at load, if any.
    public let requested: String?

    @usableFromInline let sgemm: SgemmFunction
    private let handle: UnsafeMutableRawPointer

    /// The library every product in the process runs on, with `Compute.threads` threads. When
    /// none can be loaded this prints one line (what is missing, how to install it) and exits
    /// with status 1.
    public static let shared: BLASLibrary = {
        do {
            let library = try BLASLibrary.load()
            library.threads = Compute.threads
            if let notice = library.choice.notice { FileHandle.standardError.write(Data("warning: \(notice)\n".utf8)) }
            return library
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }()

    /// The library names tried when `FUNNEL_BLAS_LIBRARY` is not set.
    public static let defaultNames = ["libopenblas.so.0", "libopenblas.so"]

    /// Opens the first of `names` that the dynamic loader finds and checks that it is a CBLAS
    /// library, without touching its kernels; returns the handle and the name that opened.
    public static func open(_ names: [String]) throws -> (handle: UnsafeMutableRawPointer, name: String) {
        var reasons: [String] = []
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            guard dlsym(handle, "cblas_sgemm") != nil else { throw BLASLibraryError.notCBLAS(name) }
            return (handle, name)
        }
        throw BLASLibraryError.notFound(tried: names, reasons: reasons, fromEnvironment: false)
    }

    /// Loads the library `FUNNEL_BLAS_LIBRARY` names, else OpenBLAS, and applies the kernel
    /// choice. Called once, by `shared`: moving the kernels of a library in use is not safe.
    private static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BLASLibrary {
        let chosen = environment["FUNNEL_BLAS_LIBRARY"]
        do {
            let (handle, name) = try open(chosen.map { [$0] } ?? defaultNames)
            return BLASLibrary(handle: handle, path: name, requested: environment["OPENBLAS_CORETYPE"], features: CPUFeatures.current)
        } catch BLASLibraryError.notFound(let tried, let reasons, _) where chosen != nil {
            throw BLASLibraryError.notFound(tried: tried, reasons: reasons, fromEnvironment: true)
        }
    }

    private init(handle: UnsafeMutableRawPointer, path: String, requested: String?, features: CPUFeatures?) {
        self.handle = handle
        self.path = path
        // `open` checked that the symbol exists.
        let sgemm = dlsym(handle, "cblas_sgemm")!
        self.requested = requested
        self.sgemm = unsafeBitCast(sgemm, to: SgemmFunction.self)
        vendor = dlsym(handle, "openblas_get_corename") != nil ? .openBLAS
            : dlsym(handle, "bli_arch_query_id") != nil ? .blis : .other
        build = Self.function(handle, "openblas_get_config", as: (@convention(c) () -> UnsafePointer<CChar>?).self)?()
            .map { String(cString: $0) }
        let picked = Self.kernelName(handle)
        pickedKernel = picked
        guard vendor == .openBLAS, let picked else {
            choice = KernelChoice()
            return
        }
        let switchable = dlsym(handle, "gotoblas_dynamic_init") != nil && dlsym(handle, "gotoblas_dynamic_quit") != nil
        var choice = KernelChoice.decide(features: features, inUse: picked, requested: requested) { name in
            switchable && dlsym(handle, "gotoblas_" + name.uppercased()) != nil
        }
        if let target = choice.switchTo {
            Self.moveOpenBLAS(handle, to: target)
            let now = Self.kernelName(handle)
            if now?.uppercased() != target {
                choice.notice = (choice.notice.map { $0 + " " } ?? "")
                    + "OpenBLAS did not move to \(target) (it runs \(now ?? "?"))."
            }
        }
        self.choice = choice
    }

    /// Re-runs OpenBLAS's kernel selection with `OPENBLAS_CORETYPE` set to `name`, then puts the
    /// variable back. Only safe before any product has run, which `shared` guarantees.
    private static func moveOpenBLAS(_ handle: UnsafeMutableRawPointer, to name: String) {
        typealias Call = @convention(c) () -> Void
        guard let quit = function(handle, "gotoblas_dynamic_quit", as: Call.self),
              let initialise = function(handle, "gotoblas_dynamic_init", as: Call.self) else { return }
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", name, 1)
        quit()
        initialise()
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
    }

    /// The kernel set in use: OpenBLAS's core name or BLIS's sub-configuration.
    public var kernel: String? { Self.kernelName(handle) }

    /// The best kernel class for the CPU, and whether the kernel set in use is of it; nil when
    /// either is unknown (a BLAS other than OpenBLAS, or a CPU whose features cannot be read).
    public func isBest(for features: CPUFeatures? = CPUFeatures.current) -> (best: KernelClass, inUse: KernelClass, isBest: Bool)? {
        guard vendor == .openBLAS, let features, let kernel, let inUse = KernelClass(openBLASCore: kernel) else { return nil }
        let best = KernelClass.best(for: features)
        return (best, inUse, inUse >= best)
    }

    /// The OpenBLAS kernel sets this CPU can run that are worth testing: the library's own pick
    /// and the reference set of every class up to the best; empty for other libraries.
    public func runnableKernels(for features: CPUFeatures? = CPUFeatures.current) -> [String] {
        guard vendor == .openBLAS, let features else { return [] }
        let best = KernelClass.best(for: features)
        let sets = (pickedKernel.map { [$0.uppercased()] } ?? []) + KernelClass.allCases.filter { $0 <= best }.map(\.openBLASCore)
        return sets.reduce(into: []) { kept, name in
            if !kept.contains(name), dlsym(handle, "gotoblas_" + name) != nil { kept.append(name) }
        }
    }

    /// The number of threads the library's products may use.
    public var threads: Int {
        get {
            if let get = Self.function(handle, "openblas_get_num_threads", as: (@convention(c) () -> Int32).self) { return Int(get()) }
            if let get = Self.function(handle, "bli_thread_get_num_threads", as: (@convention(c) () -> Int64).self) { return Int(get()) }
            return 1
        }
        set {
            if let set = Self.function(handle, "openblas_set_num_threads", as: (@convention(c) (Int32) -> Void).self) {
                set(Int32(newValue))
            } else if let set = Self.function(handle, "bli_thread_set_num_threads", as: (@convention(c) (Int64) -> Void).self) {
                set(Int64(newValue))
            }
        }
    }

    /// One line naming the library and its kernels, for `funnel --version`, `doctor` and benchmarks.
    public var summary: String {
        var line = "\(vendor.rawValue) \(kernel ?? "(kernel unknown)")"
        if let picked = pickedKernel, picked != kernel {
            line += " (chosen by CPU features; the library picked \(picked))"
        } else if let requested, choice.switchTo == nil, KernelClass(openBLASCore: requested) != nil {
            line += " (as OPENBLAS_CORETYPE asks)"
        }
        if let verdict = isBest() {
            line += verdict.isBest ? ", the best class for this CPU (\(verdict.best))"
                : ", NOT the best for this CPU: it runs \(verdict.inUse) kernels and the CPU has \(verdict.best)"
        }
        return line
    }

    private static func kernelName(_ handle: UnsafeMutableRawPointer) -> String? {
        if let core = function(handle, "openblas_get_corename", as: (@convention(c) () -> UnsafePointer<CChar>?).self) {
            return core().map { String(cString: $0) }
        }
        if let query = function(handle, "bli_arch_query_id", as: (@convention(c) () -> Int32).self),
           let name = function(handle, "bli_arch_string", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self) {
            return name(query()).map { String(cString: $0) }
        }
        return nil
    }

    private static func function<F>(_ handle: UnsafeMutableRawPointer, _ symbol: String, as type: F.Type) -> F? {
        dlsym(handle, symbol).map { unsafeBitCast($0, to: type) }
    }
}

/// Why no BLAS library could be used.
public enum BLASLibraryError: Error, CustomStringConvertible {
    case notFound(tried: [String], reasons: [String], fromEnvironment: Bool)
    case notCBLAS(String)

    public var description: String {
        switch self {
        case .notFound(let tried, let reasons, let fromEnvironment):
            let fix = fromEnvironment
                ? "point FUNNEL_BLAS_LIBRARY at a CBLAS library that exists, or unset it to use OpenBLAS"
                : "install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread, or run scripts/install-system-packages), "
                    + "or point FUNNEL_BLAS_LIBRARY at another CBLAS library"
            return "Funnel needs a BLAS library and could not load \(tried.joined(separator: " or ")) "
                + "(\(reasons.last ?? "not found")): \(fix)."
        case .notCBLAS(let path):
            return "\(path) has no cblas_sgemm, so it is not a CBLAS library: point FUNNEL_BLAS_LIBRARY at one that is (OpenBLAS, BLIS)."
        }
    }
}
