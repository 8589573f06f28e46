using System.Text.Json;
using System.Text.Json.Serialization;
using PushHub.Hub;

namespace PushHub.Http;

/// <summary>Writes every timestamp as the contract does: UTC, RFC 3339, milliseconds (<c>2026-11-23T10:30:00.123Z</c>).</summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(StoredEvent.FormatTimestamp(value));
}
