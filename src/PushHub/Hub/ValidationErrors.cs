namespace PushHub.Hub;

/// <summary>The <c>errors</c> map of a validation problem: field → messages, in the order they were found.</summary>
public sealed class ValidationErrors
{
    // Made at the first error: every request checks its input, few have one.
    private Dictionary<string, List<string>>? _errors;

    /// <summary>Fields in error.</summary>
    public int Count => _errors?.Count ?? 0;

    /// <summary>Error messages over all fields: grows with every <see cref="Add"/>, also a second one on a field already in error.</summary>
    public int MessageCount { get; private set; }

    /// <summary>True when some field made the request too large rather than malformed (413 instead of 400).</summary>
    public bool TooLarge { get; private set; }

    public bool Contains(string field) => _errors?.ContainsKey(field) == true;

    public void Add(string field, string message)
    {
        _errors ??= new(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }
        messages.Add(message);
        MessageCount++;
    }

    public void AddTooLarge(string field, string message)
    {
        TooLarge = true;
        Add(field, message);
    }

    public IDictionary<string, string[]> ToDictionary() =>
        (_errors ?? []).ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>One sentence naming the first problem, for the problem's <c>detail</c>.</summary>
    public string Summary()
    {
        var (field, messages) = (_errors ?? throw new InvalidOperationException("There is no error to summarize.")).First();
        var more = Count > 1 ? $" (and {Count - 1} more field{(Count > 2 ? "s" : "")}; see errors)" : "";
        return $"{field} {messages[0]}{more}.";
    }
}
