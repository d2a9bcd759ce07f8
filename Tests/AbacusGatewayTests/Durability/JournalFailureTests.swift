import Testing

@testable import AbacusGateway

/// The journal's promise, in process: a ticket whose transaction failed is reported as failed
/// to whoever waits for it, also when the wait starts after a later transaction succeeded
/// (the request handler waits after the store applied its push; the writer can commit twice
/// in between).
@Suite struct JournalFailureTests {
    struct DiskFull: Error {}

    static func row(_ path: String) -> Journal.Row {
        Journal.Row(path: path, exposition: [], pushTime: 1, failureTime: 0, deadlineMs: nil)
    }

    @Test func aFailedTicketStaysFailedAfterALaterSuccess() async throws {
        let journal = Journal()
        let first = journal.enqueue(.upsert(Self.row("job/a")))
        let failed = try #require(journal.takePending())
        journal.complete(through: failed.lastTicket, firstTicket: 1, error: DiskFull())
        let second = journal.enqueue(.upsert(Self.row("job/b")))
        let committed = try #require(journal.takePending())
        journal.complete(through: committed.lastTicket, firstTicket: failed.lastTicket + 1, error: nil)

        await #expect(throws: JournalError.self) { try await journal.waitCommitted(first) }
        try await journal.waitCommitted(second)
    }

    @Test func aWaiterBeforeTheCommitLearnsTheOutcome() async throws {
        let journal = Journal()
        let ticket = journal.enqueue(.upsert(Self.row("job/a")))
        let waiter = Task { try await journal.waitCommitted(ticket) }
        // Let the waiter register, then fail the transaction.
        try await Task.sleep(nanoseconds: 20_000_000)
        let batch = try #require(journal.takePending())
        journal.complete(through: batch.lastTicket, firstTicket: 1, error: DiskFull())
        await #expect(throws: JournalError.self) { try await waiter.value }
    }
}
