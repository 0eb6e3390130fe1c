/// A count and its noun in words: `counted(1, "finding")` is "1 finding", `counted(3, "finding")` "3 findings",
/// `counted(2, "policy", plural: "policies")` "2 policies". For progress lines and answers.
public func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
