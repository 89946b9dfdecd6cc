import Foundation
import Testing

@testable import ManagementAPI

@Suite("RFC 2822 dates")
struct RFC2822DateTests {
    @Test(
        "formats Unix times as Twilio does",
        arguments: [
            (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (1_438_286_400, "Thu, 30 Jul 2015 20:00:00 +0000"),
            (1_437_413_230.9, "Mon, 20 Jul 2015 17:27:10 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (4_133_980_799, "Fri, 31 Dec 2100 23:59:59 +0000"),
            (-1, "Wed, 31 Dec 1969 23:59:59 +0000"),
        ])
    func formats(seconds: TimeInterval, expected: String) {
        #expect(RFC2822Date.string(from: Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("agrees with Foundation's formatter across four centuries of days")
    func agreesWithFoundation() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        var seconds: TimeInterval = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC2822Date.string(from: date) == formatter.string(from: date))
            seconds += 86_400 * 37 + 3_601
        }
    }
}
