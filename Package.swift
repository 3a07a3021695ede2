// swift-tools-version:6.1
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-wmo"], .when(configuration: .release))]

let package = Package(
  name: "Atelier",
  platforms: [.macOS(.v13)],
  products: [.executable(name: "atelier", targets: ["atelier"])],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
    .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CZmq", path: "Sources/CZmq"),
    .target(
      name: "CKernel",
      dependencies: ["COpenBLAS"],
      cSettings: [
        .unsafeFlags(["-O3", "-mavx2", "-mfma", "-fno-math-errno", "-I/usr/include/x86_64-linux-gnu/openblas-pthread"])
      ],
      linkerSettings: [
        .linkedLibrary("openblas"), .linkedLibrary("lapacke"), .linkedLibrary("dnnl"), .linkedLibrary("fftw3f"),
        .linkedLibrary("gomp"),
        .linkedLibrary("pthread"), .linkedLibrary("m"),
      ]
    ),
    .target(name: "Tensor", dependencies: ["CKernel"], swiftSettings: optimise),
    .target(name: "Data", dependencies: ["Tensor", "CZlib"], swiftSettings: optimise),
    .target(name: "NN", dependencies: ["Tensor", "Data"], swiftSettings: optimise),
    .target(name: "Analysis", dependencies: ["Tensor", "NN", "Data"], swiftSettings: optimise),
    .target(name: "Plot", dependencies: ["Tensor", "Data"], swiftSettings: optimise),
    .target(
      name: "Lang",
      dependencies: ["Tensor", "NN", "Data", "Analysis", "Plot", .product(name: "Crypto", package: "swift-crypto")],
      swiftSettings: optimise),
    .target(
      name: "Kernel",
      dependencies: ["Lang", "Plot", "Data", "CKernel", "CZmq", .product(name: "Crypto", package: "swift-crypto")],
      swiftSettings: optimise),
    .executableTarget(
      name: "atelier",
      dependencies: [
        "Lang", "Data", "Plot", "Kernel", "CReadline", "COpenBLAS",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: optimise
    ),
    .executableTarget(
      name: "atelier-fuzz", dependencies: ["Lang", "Kernel", "NN", "Analysis", "Data", "Tensor", "CKernel"],
      swiftSettings: optimise),
    .testTarget(name: "CKernelTests", dependencies: ["CKernel", "Tensor"]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Data"]),
    .testTarget(name: "LangTests", dependencies: ["Lang", "NN", "Tensor"], exclude: ["golden"]),
    .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Data", "NN"]),
    .testTarget(name: "PlotTests", dependencies: ["Plot"]),
    .testTarget(name: "KernelTests", dependencies: ["Kernel", "Lang"]),
  ],
  swiftLanguageModes: [.v5]
)
