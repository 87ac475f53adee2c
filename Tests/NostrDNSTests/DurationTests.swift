import Testing

@testable import NostrDNS

@Suite struct DurationTests {
    @Test func timeoutsBecomeMillisecondsClampedSoDeadlinesCannotOverflow() {
        #expect(Duration.seconds(10).milliseconds == 10_000)
        #expect(Duration.milliseconds(1500).milliseconds == 1_500)
        #expect(Duration.microseconds(10).milliseconds == 1)
        #expect(Duration.seconds(-5).milliseconds == 1)
        #expect(Duration.seconds(Int64.max).milliseconds == 86_400_000)
        #expect(Duration.seconds(86_399).milliseconds == 86_399_000)
    }
}
