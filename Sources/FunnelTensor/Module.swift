/// Anything that owns parameters: layers and whole models.
///
/// Modules walk their parameters explicitly, with stable dotted names, so saving, loading and
/// optimising need no reflection.
public protocol Module {
    func visitParameters(_ visit: (String, Parameter) -> Void)
}

extension Module {
    /// Parameters in walk order, with their names.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var all: [(String, Parameter)] = []
        visitParameters { all.append(($0, $1)) }
        return all
    }

    /// The trainable parameters, for an optimizer.
    public var trainableParameters: [Parameter] {
        namedParameters.map(\.parameter).filter(\.isTrainable)
    }

    /// The number of scalars in all parameters.
    public var parameterCount: Int {
        namedParameters.reduce(0) { $0 + $1.parameter.value.count }
    }
}

/// Walks a child module's parameters under `name`.
public func visit(_ name: String, _ child: some Module, _ visit: (String, Parameter) -> Void) {
    child.visitParameters { visit("\(name).\($0)", $1) }
}

/// Walks an array of child modules as `name.0`, `name.1`, ….
public func visit(_ name: String, _ children: [some Module], _ visit: (String, Parameter) -> Void) {
    for (i, child) in children.enumerated() {
        child.visitParameters { visit("\(name).\(i).\($0)", $1) }
    }
}
