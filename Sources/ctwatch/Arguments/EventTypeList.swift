import Conntrack

/// EventTypeList is `--types`: `new`, `update`, `destroy`, comma-separated.
struct EventTypeList: ArgumentValue {
    let types: EventTypes

    static let all = EventTypeList(types: .all)

    private init(types: EventTypes) { self.types = types }

    init(parsing text: String) throws(ArgumentValueError) {
        let names = text.split(separator: ",", omittingEmptySubsequences: false)
        if names.allSatisfy(\.isEmpty) {
            throw ArgumentValueError("name at least one of new, update, destroy, comma-separated")
        }
        var types: EventTypes = []
        for name in names {
            switch name.lowercased() {
            case "new": types.insert(.new)
            case "update": types.insert(.update)
            case "destroy": types.insert(.destroy)
            case "":
                throw ArgumentValueError(
                    "an empty name between commas; expected new, update or destroy, comma-separated")
            default:
                throw ArgumentValueError(
                    "\(DiagnosticText.quoted(String(name))) is not an event type: expected new, update or destroy, comma-separated"
                )
            }
        }
        self.types = types
    }
}
