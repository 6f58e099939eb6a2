import Testing

/// thrownError returns the error of type `E` that `body` throws; nil when it
/// throws nothing, and an issue is recorded when it throws another type.
public func thrownError<E: Error>(_ type: E.Type, _ body: () throws -> Void) -> E? {
    do {
        try body()
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected \(E.self), got \(error)")
        return nil
    }
}
