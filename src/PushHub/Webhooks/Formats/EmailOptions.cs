using System.ComponentModel.DataAnnotations;
using MimeKit;

namespace PushHub.Webhooks.Formats;

/// <summary>The SMTP relay that <c>mailto:</c> webhooks go through, bound from the <c>Email</c> section and checked at start.</summary>
public sealed class EmailOptions : IValidatableObject
{
    public const string Section = "Email";

    /// <summary>The sender of every notification email, such as <c>PushHub &lt;pushhub@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Whether email is set up: without <c>Email:Smtp:Host</c> a <c>mailto:</c> webhook is refused.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Smtp.Host);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(From) || !MailboxAddress.TryParse(From, out var from) || !from.Address.Contains('@'))
        {
            yield return new ValidationResult("Email:From must be the sender's address, such as pushhub@example.com, when Email:Smtp:Host is set", [nameof(From)]);
        }
        if (Smtp.Port is < 1 or > 65535)
        {
            yield return new ValidationResult("Email:Smtp:Port must be from 1 to 65535 (587 for StartTls, 465 for SslOnConnect)", [nameof(Smtp)]);
        }
        if (string.IsNullOrEmpty(Smtp.Username) != string.IsNullOrEmpty(Smtp.Password))
        {
            yield return new ValidationResult("Email:Smtp:Username and Email:Smtp:Password must be set together, or neither", [nameof(Smtp)]);
        }
    }
}

/// <summary><c>Email:Smtp</c>: where and how to connect. The password is never logged or shown.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    public string? Username { get; set; }

    public string? Password { get; set; }
}

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connect, then STARTTLS, which the server must offer (port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>No TLS: only for a relay on the same machine or network.</summary>
    None,
}
