namespace XSave;

/// <summary>The eight ST/MM slots of the legacy region, indexable as a span.</summary>
[InlineArray(8)]
public struct X87RegisterArray
{
    private X87Register _element;
}

/// <summary>The sixteen XMM slots of the legacy region, indexable as a span.</summary>
[InlineArray(16)]
public struct XmmRegisterArray
{
    private XmmRegister _element;
}
