import Testing
@testable import NostrCore
@Test func placeholder() {}
