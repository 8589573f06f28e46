namespace PushHub.Cli;

/// <summary>What <c>pushhub</c> exits with, so that scripts can tell the failures apart.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The hub failed (a 5xx) or answered something that is not the API's JSON.</summary>
    public const int HubFailed = 1;

    /// <summary>The command line is wrong: an unknown option, a missing argument, a value that cannot be right.</summary>
    public const int Usage = 2;

    /// <summary>The hub refused the request (a 4xx): invalid input, a missing or insufficient key, nothing by that id.</summary>
    public const int Rejected = 3;

    /// <summary>The hub could not be reached: nothing listening, a name that does not resolve, no answer in time.</summary>
    public const int Unreachable = 4;

    /// <summary><c>tail --until-complete</c>: a followed task ended failed or cancelled.</summary>
    public const int TaskFailed = 5;

    /// <summary><c>webhooks test</c>: the hub sent the sample event but the destination did not take it.</summary>
    public const int NotDelivered = 6;
}
