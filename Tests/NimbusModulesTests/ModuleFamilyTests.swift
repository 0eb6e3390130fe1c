import Foundation
import NimbusHCL
import Testing

@testable import NimbusModules

@Suite("Module families")
struct ModuleFamilyTests {
    @Test("a family's default module assembles without generator problems")
    func assembles() throws {
        for family in ModuleCatalog.standard.families {
            let requirements = ModuleRequirements(
                family: family.id, name: "\(family.id)-test",
                features: family.features.filter(\.enabledByDefault).map(\.id),
                answers: Dictionary(
                    uniqueKeysWithValues: family.questions.compactMap { question in
                        question.choices.first.map { (question.key, $0) }
                    }))
            let module = try ModuleAssembly.assemble(family: family, requirements: requirements)
            #expect(module.problems.isEmpty, "\(family.id): \(module.problems)")
            if let out = ProcessInfo.processInfo.environment["NIMBUS_MODULE_OUT"] {
                try ModuleAssembly.write(module, to: URL(fileURLWithPath: out).appendingPathComponent(family.id))
            }
        }
    }
}
